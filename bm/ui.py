"""Small values that UI hooks return; the core owns the markup that shows them."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Action:
    """A button (or a menu of buttons when ``children`` is set) at the top right of a page.

    ``method`` is "get" for a link or "post" for a form button (CSRF token added by the core);
    ``confirm`` asks before posting; ``style`` is "primary", "secondary" or "danger".
    """

    label: str
    url: str = ""
    method: str = "get"
    style: str = "secondary"
    confirm: str = ""
    external: bool = False
    children: tuple = ()


@dataclass(frozen=True)
class Badge:
    """A short label shown beside an invoice's number, with an optional explanation."""

    label: str
    style: str = "info"
    title: str = ""


@dataclass(frozen=True)
class Panel:
    """A block on a page, rendered from a plugin template with ``context``."""

    title: str
    template: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Banner:
    """A message across the top of every page; ``links`` are ``Action``s (links) to what fixes it.

    The text is escaped when shown, so it may quote names from another system.
    """

    text: str
    links: tuple = ()
    style: str = "warning"


@dataclass(frozen=True)
class IntegrationCard:
    """A card on Tools > Integrations."""

    name: str
    description: str
    url: str
    status: str = ""
    logo_text: str = ""


@dataclass(frozen=True)
class PeriodicJob:
    """A job the workers enqueue every ``interval`` seconds (``interval`` may be a callable)."""

    name: str
    func: object
    interval: object
