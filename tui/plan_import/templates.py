"""Prompt text as Jinja2 templates that render back to exactly that text."""

from __future__ import annotations

_DELIMITERS = ("{{", "{%", "{#")

# Appended to a task's prompt when its spec named input files, so the renderer's slices reach the model.
CONTEXT_FILES_LOOP = """{% for file in context_files %}

## {{ file.path }}{% if file.lines %} (lines {{ file.lines }}){% endif %}

```
{{ file.text }}
```
{% endfor %}
"""


def literal_template(text: str) -> str:
    """`text` as a template whose output is `text`: braces a plan wrote are never taken for Jinja.

    Line breaks come out as `\n` (Jinja normalises them when it renders), so they are normalised here too.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not any(delimiter in text for delimiter in _DELIMITERS):
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    # a raw block cannot hold its own end tag: emit every "{" as an expression instead
    return text.replace("{", "{{ '{' }}")


def task_template(prompt: str, with_context_files: bool) -> str:
    body = literal_template(prompt.strip("\n"))
    if with_context_files:
        body += "\n" + CONTEXT_FILES_LOOP
    return body if body.endswith("\n") else body + "\n"
