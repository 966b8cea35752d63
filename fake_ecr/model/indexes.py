"""Ordered indexes of the model: any page of a listing without walking what comes before it.

Owns the structures the registry keeps in step with every write, under its lock, so that a
page of ListImages, DescribeImages, DescribeRepositories or the registry's tags/list costs
O(page size x log n) however many items the listing holds, and a push touches no other tag:

- ``RankIndex``: items in insertion order, each in a class with a weight; finds the item at a
  rank among the items of any set of classes in O(log n) (Fenwick trees, one per class and
  measure).  Page tokens carry offsets (``service_model.paginate``), so this is what lets a page
  start where its token points.
- ``SortedTags``: a repository's tags in code-point order, for tags/list's ``last`` cursor.
- ``ImageTable``: a repository's images (push order) and tags (tag -> digest and digest ->
  tags), seen as two mappings, ``images`` and ``tags``, that keep the indexes in step.

Must not import werkzeug, botocore or anything above ``fake_ecr.model``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Collection, Iterator, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Generic, Protocol, TypeVar

from fake_ecr.model.records import ImageId, ImageRecord, ImageView

#: Image statuses (ImageStatus in botocore's model), each a class of the image index.
IMAGE_STATUSES = ("ACTIVE", "ARCHIVED", "ACTIVATING")
_STATUS_CLASS = {status: n for n, status in enumerate(IMAGE_STATUSES)}
#: Class ``2 * status + 1`` holds the tagged images of a status, ``2 * status`` the untagged ones.
_TAGGED_CLASSES = frozenset(2 * n + 1 for n in range(len(IMAGE_STATUSES)))
_HOLE = 255
_SMALLEST = 8


class Slotted(Protocol):
    """An item of a ``RankIndex``: it carries its own position there (-1 when it has none)."""

    slot: int


S = TypeVar("S", bound=Slotted)


class RankIndex(Generic[S]):
    """Items in insertion order, each in one class with a weight; rank look-ups over any set of classes.

    Two measures count the items of a class: one per item, and the item's weight (weighted classes
    only; in the others an item weighs one).  For a set of classes, ``total`` counts a measure and
    ``walk`` starts at the item that holds a given rank of it, in O(log n): per class and measure a
    Fenwick tree over the slots.  Removing an item leaves a hole, reclaimed when the slots are rebuilt
    (when they are all used, or once seven in eight are free), which renumbers the items' ``slot``.
    """

    def __init__(self, classes: int, weighted: Collection[int] = ()) -> None:
        self._classes = classes
        self._weighted = frozenset(weighted)
        self._items: list[S | None] = []
        self._class = bytearray()
        self._weight = array("q")
        # The trees come with the first item: an empty repository holds none.
        self._capacity = 0
        self._counts: list[array[int]] = []
        self._weights: dict[int, array[int]] = {}
        self._totals = [0] * classes
        self._weight_totals = [0] * classes
        self._live = 0

    def __len__(self) -> int:
        return self._live

    def __iter__(self) -> Iterator[S]:
        return (item for item in self._items if item is not None)

    def append(self, item: S, klass: int, weight: int = 1) -> None:
        if len(self._items) == self._capacity:
            self._rebuild(max(_SMALLEST, _power_of_two(2 * self._live)))
        item.slot = len(self._items)
        self._items.append(item)
        self._class.append(klass)
        self._weight.append(weight)
        self._live += 1
        self._add(item.slot, klass, 1, weight)

    def update(self, item: S, klass: int, weight: int = 1) -> None:
        slot = item.slot
        if self._class[slot] == klass and self._weight[slot] == weight:
            return  # a record changed in place (a pull's time, a scan): the trees hold it as they are
        self._add(slot, self._class[slot], -1, -self._weight[slot])
        self._class[slot], self._weight[slot] = klass, weight
        self._add(slot, klass, 1, weight)

    def remove(self, item: S) -> None:
        slot = item.slot
        self._add(slot, self._class[slot], -1, -self._weight[slot])
        self._items[slot], self._class[slot], self._weight[slot] = None, _HOLE, 0
        item.slot = -1
        self._live -= 1
        if self._capacity > _SMALLEST and 8 * self._live < self._capacity:
            self._rebuild(max(_SMALLEST, _power_of_two(2 * self._live)))

    def total(self, classes: Collection[int], weighted: bool = False) -> int:
        """How many items (``weighted``: how much weight) the classes hold."""
        totals = self._weight_totals if weighted else self._totals
        return sum(totals[k] for k in classes)

    def walk(self, classes: Collection[int], start: int, weighted: bool = False) -> Iterator[tuple[S, int]]:
        """The items of ``classes`` in order from the one holding unit ``start`` of the measure.

        Yields (item, units of it before ``start``): the first item may be entered partway (a
        weighted measure), every later one from its start.  Nothing when ``start`` is past the end.
        Each step costs O(log n) at most: a short scan, else a rank look-up.
        """
        count = self.total(classes)
        if start >= (self.total(classes, weighted) if weighted else count):
            return
        slot, within = self._find(self._trees(classes, weighted), start)
        remaining = count - self._count_through(classes, slot)
        wanted = frozenset(classes)
        counts = [self._counts[k] for k in classes]
        scan = self._capacity.bit_length()
        items, class_of = self._items, self._class
        last = len(items) - 1
        item = items[slot]
        while item is not None:
            yield item, within
            if remaining == 0:
                return
            within, item = 0, None
            remaining -= 1
            if slot < last and class_of[slot + 1] in wanted:  # the usual case: the very next slot
                slot += 1
                item = items[slot]
                continue
            for candidate in range(slot + 2, min(slot + 1 + scan, len(items))):
                if class_of[candidate] in wanted:
                    slot, item = candidate, items[candidate]
                    break
            else:
                slot, _ = self._find(counts, count - remaining - 1)
                item = items[slot]

    # --- Fenwick trees (1-based) -----------------------------------------------------------

    def _trees(self, classes: Collection[int], weighted: bool) -> list[array[int]]:
        if not weighted:
            return [self._counts[k] for k in classes]
        return [self._weights[k] if k in self._weighted else self._counts[k] for k in classes]

    def _add(self, slot: int, klass: int, count: int, weight: int) -> None:
        self._totals[klass] += count
        self._bump(self._counts[klass], slot, count)
        if klass in self._weighted:
            self._weight_totals[klass] += weight
            self._bump(self._weights[klass], slot, weight)
        else:
            self._weight_totals[klass] += count

    def _bump(self, tree: array[int], slot: int, delta: int) -> None:
        position = slot + 1
        while position <= self._capacity:
            tree[position] += delta
            position += position & -position

    def _count_through(self, classes: Collection[int], slot: int) -> int:
        """How many items of ``classes`` sit at ``slot`` or before."""
        total = 0
        for klass in classes:
            tree, position = self._counts[klass], slot + 1
            while position > 0:
                total += tree[position]
                position -= position & -position
        return total

    def _find(self, trees: list[array[int]], rank: int) -> tuple[int, int]:
        """The slot holding unit ``rank`` (0-based) of the trees' sum, and the units of it before ``rank``."""
        capacity = self._capacity
        position, step = 0, capacity
        while step:
            following = position + step
            if following <= capacity:
                below = 0
                for tree in trees:
                    below += tree[following]
                if below <= rank:
                    position, rank = following, rank - below
            step >>= 1
        return position, rank

    def _rebuild(self, capacity: int) -> None:
        """Lay the live items out from slot 0 in trees of ``capacity`` slots (a power of two)."""
        live = [(item, self._class[item.slot], self._weight[item.slot]) for item in self]
        self._capacity = capacity
        self._items, self._class, self._weight = [], bytearray(), array("q")
        self._counts = [array("q", bytes(8 * (capacity + 1))) for _ in range(self._classes)]
        self._weights = {k: array("q", bytes(8 * (capacity + 1))) for k in self._weighted}
        for slot, (item, klass, weight) in enumerate(live):
            item.slot = slot
            self._items.append(item)
            self._class.append(klass)
            self._weight.append(weight)
            self._counts[klass][slot + 1] += 1
            if klass in self._weighted:
                self._weights[klass][slot + 1] += weight
        for tree in (*self._counts, *self._weights.values()):
            for position in range(1, capacity + 1):
                parent = position + (position & -position)
                if parent <= capacity:
                    tree[parent] += tree[position]


def _power_of_two(n: int) -> int:
    """The smallest power of two at least ``n``."""
    return 1 << (n - 1).bit_length()


class SortedTags:
    """Strings in code-point order, in blocks: add, discard and a walk from a cursor in O(log n + block)."""

    BLOCK = 512

    def __init__(self) -> None:
        self._blocks: list[list[str]] = []
        self._maxes: list[str] = []

    def add(self, value: str) -> None:
        if not self._blocks:
            self._blocks.append([value])
            self._maxes.append(value)
            return
        index = min(bisect_left(self._maxes, value), len(self._blocks) - 1)
        block = self._blocks[index]
        insort(block, value)
        self._maxes[index] = block[-1]
        if len(block) > 2 * self.BLOCK:
            self._blocks[index : index + 1] = [block[: self.BLOCK], block[self.BLOCK :]]
            self._maxes[index : index + 1] = [block[self.BLOCK - 1], block[-1]]

    def discard(self, value: str) -> None:
        index = bisect_left(self._maxes, value)
        if index == len(self._blocks):
            return
        block = self._blocks[index]
        position = bisect_left(block, value)
        if position < len(block) and block[position] == value:
            del block[position]
            if block:
                self._maxes[index] = block[-1]
            else:
                del self._blocks[index], self._maxes[index]

    def after(self, last: str | None) -> Iterator[str]:
        """Every string greater than ``last`` (all of them for None), in order."""
        index = 0 if last is None else bisect_right(self._maxes, last)
        position = 0 if last is None or index == len(self._blocks) else bisect_right(self._blocks[index], last)
        while index < len(self._blocks):
            block = self._blocks[index]
            while position < len(block):
                yield block[position]
                position += 1
            index, position = index + 1, 0


@dataclass(frozen=True, slots=True)
class ImageSelection:
    """filter.tagStatus and filter.imageStatus of ListImages and DescribeImages (defaults: ANY, ACTIVE)."""

    tag_status: str = "ANY"
    image_status: str = "ACTIVE"

    @property
    def classes(self) -> tuple[int, ...]:
        """The image index classes the filter selects (none for a status the index does not know)."""
        return _selected_classes(self.tag_status, self.image_status)


@lru_cache(maxsize=64)
def _selected_classes(tag_status: str, image_status: str) -> tuple[int, ...]:
    if image_status == "ANY":
        statuses = list(_STATUS_CLASS.values())
    else:
        statuses = [_STATUS_CLASS[image_status]] if image_status in _STATUS_CLASS else []
    tagged = {"TAGGED": (1,), "UNTAGGED": (0,)}.get(tag_status, (0, 1))
    return tuple(2 * status + t for status in statuses for t in tagged)


class _Image:
    """One stored image: its record, its tags in the order they were put on it, its slot."""

    __slots__ = ("_ids", "record", "slot", "tags")

    def __init__(self, record: ImageRecord) -> None:
        self.record = record
        self.tags: tuple[str, ...] = ()
        self.slot = -1
        self._ids: tuple[ImageId, ...] | None = None

    def ids(self) -> tuple[ImageId, ...]:
        """Its ListImages entries: one per tag, or one without a tag; made when first listed after a tag change."""
        if self._ids is None:
            digest = self.record.image_digest
            self._ids = tuple(ImageId(digest, tag) for tag in self.tags) or (ImageId(digest, None),)
        return self._ids


def _class_of(image: _Image) -> int:
    return 2 * _STATUS_CLASS[image.record.image_status] + bool(image.tags)


class ImageTable:
    """A repository's images and tags, indexed for paging; ``images`` and ``tags`` are its two mappings.

    Images keep push order (a stored image replaced keeps its place; one deleted and pushed again
    goes last), an image's tags the order they were last put on it, as ListImages lists them.
    A tag always names a stored image: deleting an image deletes its tags.
    """

    def __init__(self) -> None:
        self._images: dict[str, _Image] = {}
        self._tags: dict[str, str] = {}
        self._sorted_tags = SortedTags()
        self._order: RankIndex[_Image] = RankIndex(2 * len(IMAGE_STATUSES), _TAGGED_CLASSES)
        self.images = Images(self)
        self.tags = Tags(self)

    def tags_of(self, image_digest: str) -> tuple[str, ...]:
        image = self._images.get(image_digest)
        return image.tags if image is not None else ()

    def views(self) -> list[ImageView]:
        """Every image in push order, each with its tags."""
        return [ImageView(image.record, image.tags) for image in self._images.values()]

    def count(self, selection: ImageSelection, *, by_tag: bool = False) -> int:
        """How many images the selection holds (``by_tag``: ListImages entries, one per tag or untagged image)."""
        return self._order.total(selection.classes, weighted=by_tag)

    def view_page(self, selection: ImageSelection, start: int, size: int) -> list[ImageView]:
        """DescribeImages: ``size`` images of the selection from its ``start``-th, in push order."""
        walk = self._order.walk(selection.classes, start)
        return [ImageView(image.record, image.tags) for image, _ in islice(walk, size)]

    def id_page(self, selection: ImageSelection, start: int, size: int) -> list[ImageId]:
        """ListImages: ``size`` entries of the selection from its ``start``-th: one per (image, tag), or
        one for an untagged image."""
        page: list[ImageId] = []
        for image, within in self._order.walk(selection.classes, start, weighted=True):
            page.extend(image.ids()[within : within + size - len(page)])
            if len(page) == size:
                break
        return page

    def tags_after(self, last: str | None) -> Iterator[str]:
        """Every tag past ``last`` in code-point order (tags/list)."""
        return self._sorted_tags.after(last)

    # --- writes, through the two mappings ----------------------------------------------------

    def _put_image(self, record: ImageRecord) -> None:
        image = self._images.get(record.image_digest)
        if image is None:
            image = self._images[record.image_digest] = _Image(record)
            self._order.append(image, _class_of(image))
        else:
            image.record = record
            self._order.update(image, _class_of(image), len(image.tags))

    def _delete_image(self, image_digest: str) -> None:
        image = self._images.pop(image_digest)
        for tag in image.tags:
            del self._tags[tag]
            self._sorted_tags.discard(tag)
        self._order.remove(image)

    def _put_tag(self, tag: str, image_digest: str) -> None:
        image = self._images[image_digest]  # KeyError: a tag must name a stored image
        if tag in self._tags:
            self._delete_tag(tag)
        self._tags[tag] = image_digest
        self._sorted_tags.add(tag)
        self._retag(image, (*image.tags, tag))

    def _delete_tag(self, tag: str) -> None:
        image = self._images[self._tags.pop(tag)]
        self._sorted_tags.discard(tag)
        self._retag(image, tuple(t for t in image.tags if t != tag))

    def _retag(self, image: _Image, tags: tuple[str, ...]) -> None:
        image.tags, image._ids = tags, None
        self._order.update(image, _class_of(image), len(tags))


class Images(MutableMapping[str, ImageRecord]):
    """An ImageTable's images by digest, in push order; storing one keeps the indexes in step."""

    __slots__ = ("_table",)

    def __init__(self, table: ImageTable) -> None:
        self._table = table

    def __getitem__(self, image_digest: str) -> ImageRecord:
        return self._table._images[image_digest].record

    def __setitem__(self, image_digest: str, record: ImageRecord) -> None:
        if image_digest != record.image_digest:
            raise KeyError(image_digest)
        self._table._put_image(record)

    def __delitem__(self, image_digest: str) -> None:
        self._table._delete_image(image_digest)

    def __contains__(self, image_digest: object) -> bool:
        return image_digest in self._table._images

    def __iter__(self) -> Iterator[str]:
        return iter(self._table._images)

    def __len__(self) -> int:
        return len(self._table._images)


class Tags(MutableMapping[str, str]):
    """An ImageTable's tags: tag -> image digest, in the order they were put; a tag names a stored image."""

    __slots__ = ("_table",)

    def __init__(self, table: ImageTable) -> None:
        self._table = table

    def __getitem__(self, tag: str) -> str:
        return self._table._tags[tag]

    def __setitem__(self, tag: str, image_digest: str) -> None:
        self._table._put_tag(tag, image_digest)

    def __delitem__(self, tag: str) -> None:
        self._table._delete_tag(tag)

    def __contains__(self, tag: object) -> bool:
        return tag in self._table._tags

    def __iter__(self) -> Iterator[str]:
        return iter(self._table._tags)

    def __len__(self) -> int:
        return len(self._table._tags)
