#!/usr/bin/env python3
"""The crate's public surface, one path a line, from rustdoc's JSON output.

    RUSTC_BOOTSTRAP=1 cargo rustdoc --lib -- -Z unstable-options --output-format json
    python3 .ci/public_api.py target/doc/atmodem.json > public-api.txt

Lists every public module, type, variant, field, trait, trait item, function, constant,
static, type alias and macro reachable from the crate root (re-exports under their public
path; the prelude's as one line each), and the public methods and associated items of
inherent impls. Trait impls are left
out: they follow from the types. Items behind features the build did not enable are absent,
so the list is made with the default features.
"""
import json
import sys

doc = json.load(open(sys.argv[1]))
index = doc["index"]
out = set()


def kind_of(item):
    return next(iter(item["inner"]))


def inherent(paths_prefix, impl_ids):
    for iid in impl_ids:
        impl = index.get(str(iid)) or index.get(iid)
        if impl is None:
            continue
        inner = impl["inner"]["impl"]
        if inner.get("trait") is not None or inner.get("blanket_impl") is not None:
            continue
        for mid in inner["items"]:
            m = index.get(str(mid)) or index.get(mid)
            if m and m.get("visibility") == "public" and m.get("name"):
                out.add(f"{paths_prefix}::{m['name']} ({kind_of(m)})")


def walk(item_id, path, seen):
    item = index.get(str(item_id)) or index.get(item_id)
    if item is None or item_id in seen:
        return
    if path.startswith("atmodem::prelude::"):
        # The prelude only re-exports items listed at their own paths.
        out.add(f"{path} (re-export)")
        return
    seen = seen | {item_id}
    kind = kind_of(item)
    inner = item["inner"][kind]
    if kind == "module":
        out.add(f"{path} (module)")
        for cid in inner["items"]:
            child = index.get(str(cid)) or index.get(cid)
            if child is None or child.get("visibility") != "public":
                continue
            ck = kind_of(child)
            if ck == "use":
                use = child["inner"]["use"]
                target = use.get("id")
                if target is None:
                    out.add(f"{path}::{use['name']} (re-export)")
                    continue
                if use.get("is_glob"):
                    t = index.get(str(target)) or index.get(target)
                    if t is not None and kind_of(t) == "module":
                        for gid in t["inner"]["module"]["items"]:
                            g = index.get(str(gid)) or index.get(gid)
                            if g is not None and g.get("visibility") == "public" and g.get("name"):
                                walk(gid, f"{path}::{g['name']}", seen)
                    continue
                walk(target, f"{path}::{use['name']}", seen)
            elif child.get("name"):
                walk(cid, f"{path}::{child['name']}", seen)
        return
    out.add(f"{path} ({kind})")
    if kind == "struct":
        k = inner["kind"]
        fields = []
        if "plain" in k:
            fields = k["plain"]["fields"]
        elif "tuple" in k:
            fields = [f for f in k["tuple"] if f is not None]
        for fid in fields:
            f = index.get(str(fid)) or index.get(fid)
            if f and f.get("visibility") == "public":
                out.add(f"{path}::{f['name']} (field)")
        inherent(path, inner.get("impls", []))
    elif kind == "enum":
        for vid in inner["variants"]:
            v = index.get(str(vid)) or index.get(vid)
            if v:
                out.add(f"{path}::{v['name']} (variant)")
        inherent(path, inner.get("impls", []))
    elif kind == "union":
        inherent(path, inner.get("impls", []))
    elif kind == "trait":
        for tid in inner["items"]:
            t = index.get(str(tid)) or index.get(tid)
            if t and t.get("name"):
                out.add(f"{path}::{t['name']} ({kind_of(t)})")


root = doc["root"]
walk(root, index[str(root)]["name"] if str(root) in index else "atmodem", frozenset())
for line in sorted(out):
    print(line)
