"""Hypothesis strategies for fuzzing both planes, and the properties every answer must have.

Control plane: JSON bodies for any operation, built from the operation's input shape in botocore's model
(the model the fake serves), mostly well-shaped - enums, patterns, lengths and ranges kept, names of the
seeded repository and image mixed in so requests reach real state - and mutated at random nodes: wrong
types, extremes, odd unicode, long strings, unknown members; plus bodies that are not JSON at all.

Registry: a method and a path from the OCI distribution spec's endpoint table, filled with names,
references, digests and upload ids both real and random, with random query strings, headers and bodies,
manifests among them (well-formed ones and mangled ones).

``bench/fuzz.py`` runs the same strategies for as many cases as it is asked.
"""

from __future__ import annotations

import base64
import json
import re
import string
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

from botocore.model import ListShape, MapShape, Shape, StructureShape
from hypothesis import strategies as st

from fake_ecr import FakeEcr
from fake_ecr.formats.service_model import operation_model, operation_names, target_prefix

from .helpers import LAYERS, POOL, Answer, Wire, sha256

SEEDED_REPOSITORY = "team/app"
SEEDED_TAG = "v1"
OTHER_REPOSITORY = "app"
TRACEBACK = b"Traceback (most recent call last)"
#: How deep a generated structure nests before members are left out (recursive shapes).
MAX_DEPTH = 6


# --- what every answer must be --------------------------------------------------------------------------


def check_api_answer(fake: FakeEcr, operation: str, body: bytes, status: int, answer: bytes) -> None:
    """No 5xx but the deliberate 501, nothing raised inside the fake, no traceback in the answer."""
    assert not fake.internal_errors, (operation, body[:2000], fake.internal_errors)
    assert TRACEBACK not in answer, (operation, body[:2000], answer[:2000])
    if status >= 500:
        code = json.loads(answer).get("__type")
        assert (status, code) == (501, "UnsupportedOperationException"), (operation, body[:2000], status, answer)


def check_registry_answer(fake: FakeEcr, request: RegistryRequest, answer: Answer) -> None:
    assert not fake.internal_errors, (request, fake.internal_errors)
    assert TRACEBACK not in answer.body, (request, answer.body[:2000])
    assert answer.status < 500, (request, answer.status, answer.body[:2000])


def send_api(fake: FakeEcr, operation: str, body: bytes) -> tuple[int, bytes]:
    """Send one case raw; the fake's ``internal_errors`` then hold this case's alone (an earlier case that left
    any failed already), so hypothesis shrinks to the request that caused them."""
    fake.internal_errors.clear()
    status, _, answer = fake.handle_api(target_prefix() + operation, body, None)
    return status, answer


# --- the state fuzzing starts from ------------------------------------------------------------------------


@dataclass
class Seeded:
    """What ``seed`` put in the fake, for strategies to name."""

    image_digest: str
    blob_digests: list[str]
    upload_ids: list[str] = field(default_factory=list)


def seed(fake: FakeEcr) -> Seeded:
    """Two repositories holding a tagged image each, an upload in progress, and cross-repository mounts on."""
    ecr = fake.client()
    for name, image in ((SEEDED_REPOSITORY, POOL[1]), (OTHER_REPOSITORY, POOL[0])):
        ecr.create_repository(repositoryName=name)
        fake.push(f"{name}:{SEEDED_TAG}", image)
    if "PutAccountSetting" in operation_names():
        ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    upload = Wire(fake).request("POST", f"/v2/{SEEDED_REPOSITORY}/blobs/uploads/")
    upload_id = upload.headers.get("Docker-Upload-UUID", "")
    blobs = [blob.digest for image in POOL[:2] for blob in image.blobs()]
    return Seeded(POOL[1].digest, blobs, [upload_id])


# --- wild values --------------------------------------------------------------------------------------------

WEIRD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\ud800",  # a lone surrogate: valid JSON escape, not valid UTF-8
        "\u202e",
        "é",
        "💥",
        "../..",
        "%2e%2e/",
        "a" * 256,
        "a" * 5000,
        "${jndi:x}",
        "sha256:",
        "sha256:" + "0" * 64,
        "sha512:" + "f" * 128,
        "null",
        "\n",
        "*",
        "[",
    ]
)
#: Long strings are a character repeated: hypothesis builds long random text slowly, and the length is the point.
LONG_TEXT = st.builds(lambda c, n: c * n, st.sampled_from(string.printable + "é💥"), st.integers(1000, 70_000))
TEXT = st.text(max_size=40) | WEIRD_TEXT | LONG_TEXT
EXTREME_NUMBERS = st.sampled_from([0, -1, 1, 2**31, -(2**31) - 1, 2**63, -(2**64), 10**30, 1.5, -0.0, 1e308])
SCALARS = st.none() | st.booleans() | EXTREME_NUMBERS | st.integers() | st.floats(allow_nan=False) | TEXT
WILD = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4), max_leaves=8
)


# --- values from botocore's shapes ----------------------------------------------------------------------------


#: Real values of the seeded state by botocore shape name, mixed into well-shaped values so requests reach it.
Names = dict[str, tuple[str, ...]]


def names_of(seeded: Seeded, account_id: str) -> Names:
    return {
        "RepositoryName": (SEEDED_REPOSITORY, OTHER_REPOSITORY),
        "ImageTag": (SEEDED_TAG, "latest"),
        "ImageDigest": (seeded.image_digest,),
        "LayerDigest": tuple(seeded.blob_digests),
        "UploadId": tuple(seeded.upload_ids),
        "RegistryId": (account_id,),
        "Region": ("eu-west-1", "us-east-1"),
        "ImageManifest": tuple(image.manifest.decode() for image in POOL[:2]),
        "MediaType": (POOL[0].media_type, POOL[1].media_type),
    }


@cache
def _compiled(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _string(shape: Shape, names: Names) -> st.SearchStrategy[Any]:
    if shape.enum:
        return st.sampled_from(shape.enum)
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
    pattern = shape.metadata.get("pattern")
    cap = min(high if high is not None else 64, 64)
    options: list[st.SearchStrategy[Any]] = []
    if pattern and _compiled(pattern):
        options.append(st.from_regex(pattern, fullmatch=True).filter(lambda s: low <= len(s) <= (high or len(s))))
    else:
        options.append(st.text(min_size=low, max_size=max(cap, low)))
    real = names.get(shape.name, ())
    if real:
        options.append(st.sampled_from(real))
    return st.one_of(*options)


def _number(shape: Shape) -> st.SearchStrategy[Any]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in ("double", "float"):
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    low, high = low if low is not None else -(2**31), high if high is not None else 2**31
    return st.integers(low, high) | st.sampled_from([low, high])  # the limits themselves, often


def shaped(shape: Shape, names: Names, mutate: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of ``shape``; with ``mutate``, any node may instead be a wild value."""
    value = _shaped(shape, names, mutate, depth)
    # Deep inside, a scalar of the wrong kind does as well as a whole wild structure, and costs less to draw.
    # Mostly the right shape, so a mutated request often gets past the other members to the one that is wrong.
    wrong = WILD if depth <= 1 else SCALARS
    return st.one_of(value, value, value, wrong) if mutate and depth > 0 else value


def _shaped(shape: Shape, names: Names, mutate: bool, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(shape, StructureShape):
        required = set(shape.required_members)
        if depth >= MAX_DEPTH:
            return st.just({})
        members = {name: shaped(member, names, mutate, depth + 1) for name, member in shape.members.items()}
        fixed = {name: members[name] for name in required}
        optional = {name: members[name] for name in members if name not in required}
        document = st.fixed_dictionaries(fixed, optional=optional)
        if mutate:
            document = st.one_of(
                document,
                document.map(lambda d: {k: v for k, v in d.items() if k not in required}),  # required left out
                st.tuples(document, st.dictionaries(TEXT, WILD, min_size=1, max_size=2)).map(lambda t: t[0] | t[1]),
            )
        return document
    if isinstance(shape, ListShape):
        low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
        member = shaped(shape.member, names, mutate, depth + 1)
        return st.lists(member, min_size=low if not mutate else 0, max_size=min(high or 3, 3) if not mutate else 4)
    if isinstance(shape, MapShape):
        return st.dictionaries(
            shaped(shape.key, names, mutate, depth + 1), shaped(shape.value, names, mutate, depth + 1), max_size=3
        )
    kind = shape.type_name
    if kind == "string":
        return _string(shape, names)
    if kind in ("integer", "long", "double", "float"):
        return _number(shape)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode())
    if kind == "timestamp":
        return st.integers(0, 2**33) | st.floats(0, 2e9, allow_nan=False)
    raise AssertionError(f"no strategy for {shape.name} ({kind})")


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


NOT_JSON = st.sampled_from(
    [b"", b"{", b"[]", b"null", b"1", b'"x"', b"\xff\xfe", b'{"a":', b"[" * 5000 + b"]" * 5000, b'{"a":NaN}']
) | st.binary(max_size=200)


def api_bodies(operation: str, names: Names) -> st.SearchStrategy[bytes]:
    """Request bodies for one operation: well-shaped, mutated, and not JSON at all."""
    shape = operation_model(operation).input_shape
    if shape is None:
        return st.one_of(st.just(b"{}"), st.dictionaries(TEXT, WILD, max_size=3).map(_dumps), NOT_JSON)
    well_shaped = shaped(shape, names, mutate=False).map(_dumps)
    return st.one_of(
        well_shaped, well_shaped, shaped(shape, names, mutate=True).map(_dumps), WILD.map(_dumps) | NOT_JSON
    )


# --- registry requests ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryRequest:
    method: str
    path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)

    def __repr__(self) -> str:
        return f"{self.method} {self.path}?{self.query_string} {self.headers!r} body={self.body[:300]!r}"


def _registry_strategies(seeded: Seeded) -> dict[str, st.SearchStrategy[str]]:
    digest_like = st.from_regex(r"sha(256|512|1):[0-9a-fA-F]{0,130}", fullmatch=True)
    segment = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=20) | WEIRD_TEXT.filter(
        lambda s: "\ud800" not in s
    )
    return {
        "name": st.sampled_from(
            [SEEDED_REPOSITORY, OTHER_REPOSITORY, "missing/repo", "TEAM/App", "a" * 300, "a//b", "a/./b"]
        )
        | st.lists(segment, min_size=1, max_size=3).map("/".join),
        "reference": st.sampled_from([SEEDED_TAG, "latest", seeded.image_digest, "sha256:" + "0" * 64, "-", "a" * 200])
        | digest_like
        | segment,
        "digest": st.sampled_from([*seeded.blob_digests, seeded.image_digest, "sha256:" + "0" * 64])
        | digest_like
        | segment,
        "upload": st.sampled_from([*seeded.upload_ids, "00000000-0000-0000-0000-000000000000"]) | segment,
    }


PATHS = (
    "/v2/",
    "/v2",
    "/",
    "/v2/{name}/blobs/uploads/",
    "/v2/{name}/blobs/uploads",
    "/v2/{name}/blobs/uploads/{upload}",
    "/v2/{name}/blobs/{digest}",
    "/v2/{name}/manifests/{reference}",
    "/v2/{name}/tags/list",
    "/v2/{name}/referrers/{digest}",
    "/v2/{name}",
    "/v2/_catalog",
)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
HEADER_NAMES = ("Content-Type", "Content-Range", "Range", "Accept", "Authorization", "Content-Length", "X-Other")


def manifest_documents(seeded: Seeded) -> st.SearchStrategy[bytes]:
    """Manifest-shaped JSON with any field mangled: what a registry PUT and PutImage must refuse politely."""
    descriptor = st.fixed_dictionaries(
        {},
        optional={
            "mediaType": st.sampled_from([POOL[0].media_type, POOL[1].media_type, "x/y"]) | WILD,
            "digest": st.sampled_from([*seeded.blob_digests, seeded.image_digest, sha256(LAYERS[0])]) | WILD,
            "size": st.integers(-(2**64), 2**64) | WILD,
            "platform": st.dictionaries(TEXT, WILD, max_size=2) | WILD,
            "annotations": st.dictionaries(TEXT, TEXT, max_size=2) | WILD,
            "artifactType": TEXT,
            "urls": WILD,
        },
    )
    document = st.fixed_dictionaries(
        {},
        optional={
            "schemaVersion": st.sampled_from([1, 2, 3, "2", None]) | WILD,
            "mediaType": st.sampled_from(
                [
                    "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.oci.image.index.v1+json",
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json",
                    "application/vnd.docker.distribution.manifest.v1+json",
                ]
            )
            | WILD,
            "config": descriptor | WILD,
            "layers": st.lists(descriptor, max_size=3) | WILD,
            "manifests": st.lists(descriptor, max_size=3) | WILD,
            "subject": descriptor | WILD,
            "artifactType": TEXT,
            "annotations": st.dictionaries(TEXT, WILD, max_size=2) | WILD,
            "fsLayers": st.lists(st.fixed_dictionaries({"blobSum": TEXT | WILD}), max_size=2) | WILD,
            "history": WILD,
            "signatures": WILD,
            "name": TEXT,
            "tag": TEXT,
            "architecture": TEXT,
        },
    )
    return document.map(_dumps) | st.sampled_from([image.manifest for image in POOL]) | st.just(POOL[1].manifest[:-3])


def registry_requests(seeded: Seeded, wire: Wire) -> st.SearchStrategy[RegistryRequest]:
    parts = _registry_strategies(seeded)
    manifests = manifest_documents(seeded)
    header_value = st.sampled_from(
        [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "*/*",
            "bytes=0-10",
            "bytes=5-",
            "bytes=-3",
            "bytes=0-0,2-3",
            "0-9",
            "bytes 0-9/10",
            "Basic",
            "Basic !!!",
            "Basic " + base64.b64encode(b"AWS:nonsense").decode(),
            "Bearer x",
            "-1",
            "99999999999999999999",
        ]
    ) | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
    query = st.lists(
        st.tuples(
            st.sampled_from(["digest", "n", "last", "mount", "from", "artifactType", "x"]),
            st.sampled_from(["0", "1", "1001", "-1", "²", "", SEEDED_TAG, SEEDED_REPOSITORY, OTHER_REPOSITORY])
            | st.sampled_from(seeded.blob_digests)
            | parts["digest"]
            | parts["name"],
        ),
        max_size=3,
    ).map(lambda pairs: "&".join(f"{k}={_quote(v)}" for k, v in pairs))

    # Strategies are built once, out here: building them inside the draw costs more than the requests.
    templates, methods = st.sampled_from(PATHS), st.sampled_from(METHODS)
    header_lists = st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_value), max_size=3)
    bodies = st.just(b"") | manifests | st.binary(max_size=300) | st.sampled_from(LAYERS)

    @st.composite
    def request(draw: st.DrawFn) -> RegistryRequest:
        template = draw(templates)
        path = template.format(**{key: draw(value) for key, value in parts.items() if "{" + key + "}" in template})
        headers = draw(header_lists)
        if draw(st.booleans()):  # half the time with good credentials, so requests get past the door
            headers.append(("Authorization", wire.credentials()["Authorization"]))
        return RegistryRequest(draw(methods), _quote(path, safe="/:@"), draw(query), tuple(headers), draw(bodies))

    return request()


def _quote(text: str, safe: str = "") -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe=safe)


def send_registry(wire: Wire, request: RegistryRequest) -> Answer:
    """Send one case in-process; ``internal_errors`` then hold this case's alone, as with ``send_api``."""
    wire.fake.internal_errors.clear()
    return wire.request(
        request.method,
        request.path,
        headers=list(request.headers),
        body=request.body,
        query_string=request.query_string,
    )
