#!/usr/bin/env python3
"""TAP check of the project's one C dialect: every .c and .h file under
common/, loan-processor/, valuation-service/ and tests/ is as clang-format
(with the top-level .clang-format) would write it.

Usage: format_check.py SOURCE_ROOT
Skips (one TAP point, # SKIP) when clang-format is not installed;
scripts/install-deps.sh --test installs it, so scripts/test.sh never skips.
To fix: clang-format -i FILE...
"""
import os
import shutil
import subprocess
import sys

FOLDERS = ("common", "loan-processor", "valuation-service", "tests")


def sources(root):
    for folder in FOLDERS:
        for directory, subdirectories, files in os.walk(os.path.join(root, folder)):
            subdirectories[:] = sorted(d for d in subdirectories if d != "node_modules" and not d.startswith("."))
            for name in sorted(files):
                if name.endswith((".c", ".h")):
                    yield os.path.join(directory, name)


def main():
    root = sys.argv[1]
    print("1..1")
    clang_format = shutil.which("clang-format")
    if not clang_format:
        print("ok 1 - formatting # SKIP clang-format is not installed (scripts/install-deps.sh --test)")
        return 0
    unformatted = []
    for path in sources(root):
        result = subprocess.run([clang_format, "--dry-run", "--Werror", "--style=file", path],
                                cwd=root, capture_output=True, text=True)
        if result.returncode != 0:
            unformatted.append(os.path.relpath(path, root))
    if unformatted:
        print(f"not ok 1 - formatting: {len(unformatted)} files differ from .clang-format (clang-format -i FILE):")
        for path in unformatted:
            print(f"#   {path}")
        return 1
    print("ok 1 - formatting: every C file is as .clang-format writes it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
