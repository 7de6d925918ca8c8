#!/usr/bin/env python3
"""Extracts the part of the Telegram Bot API spec the hub uses, for the fake Telegram server in the tests.

The full machine-readable spec (Bot API 10.1, ~900 KB, from github.com/PaulSonOfLars/telegram-bot-api-spec, MIT)
lives outside the repository in `../shared/telegram-spec/`. The tests must not depend on that folder, so this script
copies what they need into `Tests/BotHubTests/Fixtures/telegram-api-subset.json`, plus the spec's licence:

- the methods the hub calls, with every field (so unknown or mistyped parameters are caught);
- every type those fields reference, recursively (so nested objects such as `reply_markup` are checked);
- the types the fake itself returns (`Update`, `Message`, `CallbackQuery`, ...), so its replies can be checked too.
  Their own references are not followed: the fake only emits fields whose types are in the subset.

Usage: scripts/telegram-spec-subset.py [--spec PATH] [--out PATH]
Rerun after updating the shared spec; the output is deterministic (sorted keys), so a diff shows what changed.
"""

import argparse
import hashlib
import json
import pathlib
import shutil
import sys

METHODS = ["getMe", "deleteWebhook", "getUpdates", "sendMessage", "editMessageText", "answerCallbackQuery", "sendDocument"]

# Returned by the fake; checked only in the fields the fake emits.
REPLY_TYPES = [
    "Update",
    "Message",
    "MaybeInaccessibleMessage",
    "InaccessibleMessage",
    "CallbackQuery",
    "User",
    "Chat",
    "MessageEntity",
    "InlineKeyboardMarkup",
    "ResponseParameters",
    "Document",
]

PRIMITIVES = {"Integer", "String", "Boolean", "Float", "True", "InputFile"}

REPO = pathlib.Path(__file__).resolve().parent.parent


def element_type(name):
    """`Array of Array of X` -> `X`."""
    while name.startswith("Array of "):
        name = name[len("Array of "):]
    return name


def referenced_types(spec):
    """Every object type reachable from the methods' fields, following fields and subtypes."""
    found = set()
    pending = [element_type(t) for m in METHODS for f in spec["methods"][m].get("fields", []) for t in f["types"]]
    while pending:
        name = pending.pop()
        if name in PRIMITIVES or name in found:
            continue
        if name not in spec["types"]:
            sys.exit(f"spec refers to unknown type {name}")
        found.add(name)
        entry = spec["types"][name]
        pending.extend(entry.get("subtypes", []))
        pending.extend(element_type(t) for f in entry.get("fields", []) for t in f["types"])
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=pathlib.Path, default=REPO.parent / "shared" / "telegram-spec" / "api.json")
    parser.add_argument("--out", type=pathlib.Path, default=REPO / "Tests" / "BotHubTests" / "Fixtures" / "telegram-api-subset.json")
    arguments = parser.parse_args()

    raw = arguments.spec.read_bytes()
    spec = json.loads(raw)
    missing = [m for m in METHODS if m not in spec["methods"]]
    if missing:
        sys.exit(f"methods missing from the spec: {missing}")

    type_names = referenced_types(spec) | set(REPLY_TYPES)
    subset = {
        "source": {
            "repository": "https://github.com/PaulSonOfLars/telegram-bot-api-spec",
            "file": "api.json",
            "sha256": hashlib.sha256(raw).hexdigest(),
            "licence": "MIT, see telegram-api-subset.LICENSE",
        },
        "generated_by": "scripts/telegram-spec-subset.py",
        "version": spec["version"],
        "release_date": spec["release_date"],
        "methods": {m: spec["methods"][m] for m in METHODS},
        "types": {t: spec["types"][t] for t in sorted(type_names)},
    }
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps(subset, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    licence = arguments.spec.parent / "LICENSE"
    shutil.copyfile(licence, arguments.out.with_suffix(".LICENSE"))
    print(f"{arguments.out}: {len(METHODS)} methods, {len(type_names)} types from {spec['version']}")


if __name__ == "__main__":
    main()
