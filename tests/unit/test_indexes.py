"""The model's paging indexes against the obvious lists they stand for: every page at every offset."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from fake_ecr.model.indexes import IMAGE_STATUSES, ImageSelection, ImageTable, RankIndex, SortedTags
from fake_ecr.model.records import ImageId, ImageRecord, ImageView

SELECTIONS = [
    ImageSelection(tag_status, image_status)
    for tag_status in ("ANY", "TAGGED", "UNTAGGED")
    for image_status in (*IMAGE_STATUSES, "ANY", "NOT-A-STATUS")
]


def record(n: int, status: str = "ACTIVE") -> ImageRecord:
    return ImageRecord(f"sha256:{n:064x}", b"{}", "m", 0, 0.0, (), (), image_status=status)


def selected(views: list[ImageView], selection: ImageSelection) -> list[ImageView]:
    """What ListImages and DescribeImages select, read off every image."""
    return [
        v
        for v in views
        if (selection.tag_status == "ANY" or (selection.tag_status == "TAGGED") == bool(v.image_tags))
        and selection.image_status in ("ANY", v.image.image_status)
    ]


def entries(views: list[ImageView]) -> list[ImageId]:
    return [ImageId(v.image.image_digest, tag) for v in views for tag in (v.image_tags or (None,))]


def check_pages(table: ImageTable) -> None:
    views = table.views()
    for selection in SELECTIONS:
        images, ids = selected(views, selection), entries(selected(views, selection))
        assert table.count(selection) == len(images)
        assert table.count(selection, by_tag=True) == len(ids)
        for start in range(len(ids) + 2):
            size = 1 + start % 4
            assert table.view_page(selection, start, size) == images[start : start + size]
            assert table.id_page(selection, start, size) == ids[start : start + size]
        assert table.id_page(selection, 0, len(ids) + 1) == ids


def test_random_writes_keep_every_page_equal_to_the_list() -> None:
    generator = random.Random(8)
    table = ImageTable()
    pushed: list[str] = []
    for step in range(1500):
        action = generator.random()
        if action < 0.3 or not table.images:
            image = record(step, generator.choice(IMAGE_STATUSES))
            table.images[image.image_digest] = image
            pushed.append(image.image_digest)
        elif action < 0.6:
            table.tags[f"t{generator.randrange(60)}"] = generator.choice(list(table.images))
        elif action < 0.7 and table.tags:
            del table.tags[generator.choice(list(table.tags))]
        elif action < 0.85:
            digest = generator.choice(list(table.images))
            table.images[digest] = replace(table.images[digest], image_status=generator.choice(IMAGE_STATUSES))
        else:
            del table.images[generator.choice(list(table.images))]
        if step % 293 == 0:
            check_pages(table)
    check_pages(table)
    assert list(table.images) == [d for d in pushed if d in table.images]  # push order, through every rebuild
    assert list(table.tags_after(None)) == sorted(table.tags)


def test_a_tag_names_a_stored_image_and_goes_with_it() -> None:
    table = ImageTable()
    with pytest.raises(KeyError):
        table.tags["v1"] = record(1).image_digest
    table.images[record(1).image_digest] = record(1)
    table.tags["v1"] = table.tags["v2"] = record(1).image_digest
    table.tags["v1"] = record(1).image_digest  # put again: now the image's last tag
    assert table.tags_of(record(1).image_digest) == ("v2", "v1")
    del table.images[record(1).image_digest]
    assert (dict(table.tags), list(table.tags_after(None))) == ({}, [])


def test_an_image_is_stored_under_its_own_digest() -> None:
    with pytest.raises(KeyError):
        ImageTable().images["sha256:" + "0" * 64] = record(1)


def test_rank_index_shrinks_and_keeps_order() -> None:
    class Item:
        def __init__(self, n: int) -> None:
            self.n, self.slot = n, -1

    index: RankIndex[Item] = RankIndex(2, weighted=[1])
    items = [Item(n) for n in range(5000)]
    for item in items:
        index.append(item, item.n % 2, weight=3)
    for item in items[:4990]:
        index.remove(item)
    assert [i.n for i in index] == list(range(4990, 5000))
    assert (index.total([0, 1]), index.total([1], weighted=True)) == (10, 15)
    walked = [(i.n, within) for i, within in index.walk([1], 4, weighted=True)]
    assert walked == [(4993, 1), (4995, 0), (4997, 0), (4999, 0)]


@pytest.mark.parametrize("count", [0, 1, 2000])
def test_sorted_tags_walk_from_any_cursor(count: int) -> None:
    generator = random.Random(count)
    tags = SortedTags()
    names = list(dict.fromkeys(f"{generator.choice('aZ-_.9')}{generator.randrange(10**6)}" for _ in range(count)))
    for name in names:
        tags.add(name)
    for name in names[::3]:
        tags.discard(name)
    tags.discard("never-there")
    expected = sorted(set(names) - set(names[::3]))
    assert list(tags.after(None)) == expected
    for last in [*expected[::97], "", "~", "a5"]:
        assert list(tags.after(last)) == [t for t in expected if t > last]
