"""The renderer's fast dispatch (``BehaviourTable.resolver``/``pick``) decides as ``select`` does,
element by element, on real documents and on a table changed after it was first used."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MEMO

from edition.document import TEI_NS, load
from edition.transforms.behaviours import DEFAULT, BehaviourTable, Model
from edition.transforms.engine import BUILTIN_WRITERS, get_writer
from edition.transforms.models import m


def _same_decisions(table: BehaviourTable, path: Path, outputs: tuple[str, ...]) -> int:
    resolved = table.resolver(outputs)
    compared = 0
    for element in load(path).root.iter():
        if not isinstance(element.tag, str):
            continue
        entry = resolved.get(element.tag) or table.resolve(resolved, element.tag, outputs)
        fast = table.pick(entry, element) if entry is not None else None
        assert fast is table.select(element, outputs), (element.tag, outputs)
        compared += 1
    return compared


@pytest.mark.parametrize("name", sorted(BUILTIN_WRITERS))
def test_every_writer_decides_as_the_table_selects(name: str, frus_excerpt: Path) -> None:
    outputs = tuple(get_writer(name).outputs)
    assert _same_decisions(DEFAULT, MEMO, outputs) > 100
    assert _same_decisions(DEFAULT, frus_excerpt, outputs) > 250


def test_a_table_changed_after_use_is_resolved_again(tmp_path: Path) -> None:
    table = BehaviourTable({"p": (m("paragraph"),), "hi": (m("inline", "@rend = 'x'"), m("inline"))})
    source = tmp_path / "t.xml"
    source.write_text(f'<TEI xmlns="{TEI_NS}"><text><body><p>a <hi rend="x">b</hi> <hi>c</hi></p>'
                      '<q>d</q></body></text></TEI>', encoding="utf-8")
    assert _same_decisions(table, source, ("web",)) == 7
    resolved = table.resolver(("web",))
    assert isinstance(resolved[f"{{{TEI_NS}}}p"], Model) and isinstance(resolved[f"{{{TEI_NS}}}hi"], tuple)
    table.add("q", (m("quote"),))
    assert f"{{{TEI_NS}}}q" not in table.resolver(("web",))  # the old decisions are dropped
    assert _same_decisions(table, source, ("web",)) == 7
    assert table.select(next(load(source).root.iter(f"{{{TEI_NS}}}q")), ("web",)).behaviour == "quote"
