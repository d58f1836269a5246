"""The status line shows a pool of model servers: how many are up and the streams on each."""

from __future__ import annotations

from textual.widgets import Static

from app.pilot_helpers import settle
from tests.engine.fake_openai_server import FakeOpenAIServer
from tests.engine.test_pool_run import make_pool_runbook


async def test_the_status_line_shows_servers_up_and_streams_on_each(tmp_path):
    from tui.app.app import PatchbayApp
    from tui.runner import Session

    with FakeOpenAIServer() as one, FakeOpenAIServer() as two:
        for server in (one, two):
            server.script.models = {"object": "list", "data": [{"id": "coder", "object": "model"}]}
        folder = make_pool_runbook(tmp_path / "pooled", [one, two], tasks=["t1"])
        session = Session(folder / "runbook.yaml", replay_rate=0)
        app = PatchbayApp([session], watch=False)
        async with app.run_test(size=(120, 40)) as pilot:
            pool = app.screen.query_one("#status-pool", Static)
            await settle(pilot, until=lambda: "servers" in str(pool.render()))
            assert str(pool.render()) == "servers 2/2 up · streams 0+0"
        session.close()
