"""Demo data (``ssj demo``). Filled in with the libraries."""

from dataclasses import dataclass, field


@dataclass
class DemoSummary:
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines)


def demo_load(*, entities: int = 3000) -> DemoSummary:
    return DemoSummary(["演示数据尚未实现"])
