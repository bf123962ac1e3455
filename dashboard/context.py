"""What the entry script hands to the page it runs: the corpus, the filter, the pages.

Streamlit runs a page file (`st.Page("pages_/x.py")`) inside the entry script's run,
on the same thread, so the entry stores the context in a thread-local before
`page.run()` and the page reads it back with `current()`. Nothing large goes
into session state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dashboard.data import Corpus
    from dashboard.filters import Filter

_local = threading.local()


@dataclass
class Ctx:
    corpus: "Corpus"
    flt: "Filter"
    pages: dict[str, Any] = field(default_factory=dict)  # name -> st.Page
    upload_problems: list[tuple[str, str]] = field(default_factory=list)

    @cached_property
    def n_reports(self) -> int:
        """How many reports the filter selects (computed once per run)."""
        from dashboard.data import reports_for

        return len(reports_for(self.corpus, self.flt))

    def page(self, name: str) -> Any:
        return self.pages[name]

    def link_params(self, **extra: str) -> dict[str, str]:
        """URL parameters for a link to another page. Only the page's own (`extra`): the
        browser carries the filters over by itself, since they are bound widgets of
        the entry script, and adding them here would repeat them in the URL."""
        return {k: v for k, v in extra.items() if v}


def set_current(ctx: Ctx) -> None:
    _local.ctx = ctx


def current() -> Ctx:
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        raise RuntimeError("no dashboard context: run the app with `streamlit run dashboard/streamlit_app.py`")
    return ctx
