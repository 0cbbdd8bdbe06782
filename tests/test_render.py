"""edition/render.py: the workers' tasks, handed out heaviest first, put back in input order."""

from __future__ import annotations

from pathlib import Path

import pytest
from folders import file_digests
from lxml import etree

import edition.build
from edition.build import build
from edition.document import XML_ID, load
from edition.plan import FilePlan, document_units, plan_file
from edition.render import LOADED, SLICE, Task, forget_documents, heaviest_first


def _tasks(plan: FilePlan, count: int) -> list[Task]:
    """The tasks edition.build makes of one file: slices of SLICE units."""
    from edition.transforms.contract import BuildOptions

    options = BuildOptions(formats=("html",))
    return [Task(plan, list(range(start, min(start + SLICE, count))), options)
            for start in range(0, count, SLICE)]


def test_a_volume_parsed_before_the_fork_hands_out_its_back_of_book_index_first(frus_volume: Path) -> None:
    document = load(frus_volume)
    units, _ = document_units(document)
    plan = plan_file(document, frus_volume.name, frus_volume, set())
    tasks = _tasks(plan, len(units))
    LOADED[plan.path] = document
    try:
        order = heaviest_first(tasks, {plan.path: document.size})
    finally:
        forget_documents()
    assert sorted(order) == list(range(len(tasks)))
    # the index is the volume's last unit and its heaviest (8,000 elements): handed out last, one
    # worker rendered it alone while the other waited
    index = next(position for position, unit in enumerate(units) if unit.get(XML_ID) == "index")
    assert index in tasks[order[0]].indices and order[0] == len(tasks) - 1
    # a cluster's workers inherit nothing parsed: the volume's slices go in order, one parse a worker
    assert heaviest_first(tasks, {plan.path: document.size}, parsed={}) == list(range(len(tasks)))

    def elements(task: Task) -> int:
        return sum(1 for number in task.indices for _ in units[number].iter(etree.Element))
    handed = [elements(tasks[position]) for position in order]
    assert handed == sorted(handed, reverse=True)


def test_a_file_not_parsed_before_the_fork_keeps_its_slices_together_and_in_order(frus_volume: Path,
                                                                                 frus_excerpt: Path) -> None:
    """A worker parses such a file once for consecutive slices; bigger files go first, and files
    of the same size keep their input order."""
    volume = load(frus_volume)
    excerpt = load(frus_excerpt)
    small = _tasks(plan_file(excerpt, "a.xml", Path("a.xml"), set()), 2)
    big = _tasks(plan_file(volume, "v.xml", Path("v.xml"), set()), len(document_units(volume)[0]))
    same = _tasks(plan_file(excerpt, "b.xml", Path("b.xml"), set()), 2)
    tasks = [*small, *big, *same]
    sizes = {"a.xml": excerpt.size, "v.xml": volume.size, "b.xml": excerpt.size}
    order = heaviest_first(tasks, sizes)
    assert order == [*range(1, 1 + len(big)), 0, len(tasks) - 1]


def test_the_edition_does_not_depend_on_the_order_tasks_are_handed_out(frus_volume: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Records, index pages, the manifest: in input order whoever renders what first."""
    formats = ["html", "text", "cite"]
    heaviest = tmp_path / "heaviest"
    assert build([frus_volume], out=heaviest, formats=formats, jobs=2, incremental=False).exit_code == 0
    monkeypatch.setattr(edition.build, "heaviest_first", lambda tasks, sizes, parsed: list(range(len(tasks)))[::-1])
    reversed_ = tmp_path / "reversed"
    assert build([frus_volume], out=reversed_, formats=formats, jobs=2, incremental=False).exit_code == 0
    assert file_digests(heaviest) == file_digests(reversed_)
    assert len(file_digests(heaviest)) > 2500


def test_a_forgotten_file_is_freed_at_once_without_the_cycle_collector(frus_excerpt: Path, tmp_path: Path) -> None:
    import gc
    import weakref

    from edition.refs import CiteUnit
    from edition.render import render
    from edition.transforms.contract import BuildOptions

    gc.collect()  # what earlier tests left
    document = load(frus_excerpt)
    count = len(document_units(document)[0])
    plan = plan_file(document, frus_excerpt.name, frus_excerpt, set())
    options = BuildOptions(formats=("cite", "html", "text"))
    tasks = [Task(plan, list(range(count)), options, str(tmp_path), {"html": "html", "text": "text"})]
    LOADED[plan.path] = document
    heaviest_first(tasks, {plan.path: document.size})
    done = render(tasks[0])  # what a worker builds on it: references, the stage's decisions, page links
    assert len(done.rendered) == count and done.touched == {"cite", "html", "text"}
    assert "citer" in vars(document) and document.cache
    freed = weakref.ref(document)
    # the units hold the tree's elements, in cycles of their own
    units = [weakref.ref(unit) for unit in document.citer.units]
    assert len(units) > count and all(isinstance(unit(), CiteUnit) for unit in units)
    del document
    gc.disable()
    try:
        forget_documents()
        assert freed() is None
        assert not [unit for unit in units if unit() is not None]
    finally:
        gc.enable()
