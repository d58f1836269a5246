"""How much context and cache an ExLlamaV2 model is loaded with: the lengths to try, largest first,
kept on the dynamic generator's page boundaries, and the next smaller size when one does not fit
in the card's memory."""

from __future__ import annotations

PAGE = 256  # the dynamic generator's page size; cache lengths must be multiples of it, paged or not
AUTO_SEQ_LEN = 8192  # when max_seq_len is not set: this much, or less if the card cannot hold it
SMALLEST_AUTO_SEQ_LEN = 2048


def round_to_page(tokens: int) -> int:
    return max(PAGE, tokens // PAGE * PAGE)


def length_candidates(native: int, requested: int | None) -> list[int]:
    """Context lengths to try, largest first: the one asked for, or AUTO_SEQ_LEN halved (kept on
    page boundaries: 6400 halves to 3072, not 3200) until SMALLEST_AUTO_SEQ_LEN."""
    # Beyond the model's trained length needs RoPE scaling, which we do not configure.
    ceiling = round_to_page(native)
    if requested is not None:
        return [min(round_to_page(requested), ceiling)]
    sizes = [min(AUTO_SEQ_LEN, ceiling)]
    while round_to_page(sizes[-1] // 2) >= SMALLEST_AUTO_SEQ_LEN and sizes[-1] > PAGE:
        sizes.append(round_to_page(sizes[-1] // 2))
    return sizes


def load_candidates(
    native: int, requested: int | None, batch: int, paged: bool, cache_tokens: int | None
) -> list[tuple[int, int]]:
    """(context length, cache tokens) pairs to try in turn. Paged jobs share one cache and each
    reserves prompt + max_new_tokens pages, so `batch` full-length jobs need `batch` times the
    context; by default we try that, then less, before giving up context length. Unpaged, the
    cache is the context: jobs run one at a time."""
    pairs: list[tuple[int, int]] = []
    for length in length_candidates(native, requested):
        if not paged or batch <= 1:
            pairs.append((length, length))
        elif cache_tokens is not None:
            pairs.append((length, max(length, round_to_page(cache_tokens))))
        else:
            size = length * batch
            while size > length:
                pairs.append((length, size))
                size = max(length, round_to_page(size // 2))
            pairs.append((length, length))
    return list(dict.fromkeys(pairs))


def retry_message(failed: tuple[int, int], following: tuple[int, int]) -> str:
    (length, cache), (next_length, next_cache) = failed, following
    if length == next_length:
        return (
            f"a {cache}-token cache does not fit; trying {next_cache} tokens ({next_cache // length} at once)"
        )
    return f"{length} tokens do not fit; trying {next_length}"


def is_out_of_memory(exc: BaseException) -> bool:
    text = str(exc).lower()
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in text or "insufficient vram" in text
