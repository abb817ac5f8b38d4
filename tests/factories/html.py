"""Reading rendered pages: form controls that have no label (every field must say what it
is to a screen reader and to someone who clicks its caption)."""

from html.parser import HTMLParser

UNLABELLED_TYPES = {"hidden", "submit", "button", "image", "reset"}


class _Controls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.label_depth = 0
        self.label_for: set[str] = set()
        self.controls: list[tuple[str, dict, bool]] = []  # (tag, attrs, inside a <label>)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea"):
            if tag == "input" and a.get("type", "text").lower() in UNLABELLED_TYPES:
                return
            self.controls.append((tag, a, self.label_depth > 0))

    def handle_endtag(self, tag):
        if tag == "label" and self.label_depth:
            self.label_depth -= 1


def unlabelled_controls(html: str) -> list[str]:
    """A description of each input, select or textarea with no label: not inside a <label>,
    no <label for=its id>, no aria-label or aria-labelledby."""
    parser = _Controls()
    parser.feed(html)
    out = []
    for tag, a, inside in parser.controls:
        if inside or a.get("aria-label") or a.get("aria-labelledby"):
            continue
        if a.get("id") and a["id"] in parser.label_for:
            continue
        out.append(f"<{tag} name={a.get('name', '')!r} id={a.get('id', '')!r}>")
    return out
