#!/usr/bin/env python3
"""Fails (TAP "not ok") when the module graph of the sources has a cycle.

A module is a file name without its extension; a.c or a.h including "b.h"
(b != a) is an edge a -> b. A private header shared by the files of one
module split in several (x_internal.h) is part of each file that includes
it: its includes count as theirs. Reads common/, loan-processor/ and
valuation-service/ under the source root given as the only argument.
"""
import os
import re
import sys

FOLDERS = ("common", "loan-processor", "valuation-service")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def is_private(module):
    return module.endswith("_internal")


def module_graph(root):
    includes = {}
    for folder in FOLDERS:
        for directory, _, names in os.walk(os.path.join(root, folder)):
            for name in names:
                module, extension = os.path.splitext(name)
                if extension not in (".c", ".h"):
                    continue
                with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as source:
                    text = source.read()
                targets = includes.setdefault(module, set())
                for included in INCLUDE.findall(text):
                    target, target_extension = os.path.splitext(os.path.basename(included))
                    if target_extension == ".h":
                        targets.add(target)
    graph = {}
    for module, targets in includes.items():
        if is_private(module):
            continue
        edges = graph.setdefault(module, set())
        for target in targets:
            # a private header's includes count as the includer's own
            edges.update(includes.get(target, set()) if is_private(target) else {target})
        edges.discard(module)
        edges -= {target for target in edges if is_private(target)}
    return graph


def find_cycle(graph):
    """Returns one cycle as a list of modules (first == last), or None."""
    state = {}  # module -> 1 while on the path, 2 when done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        iterators = [iter(sorted(graph.get(start, ())))]
        state[start] = 1
        while iterators:
            following = next(iterators[-1], None)
            if following is None:
                state[path.pop()] = 2
                iterators.pop()
            elif state.get(following) == 1:
                return path[path.index(following):] + [following]
            elif following not in state:
                state[following] = 1
                path.append(following)
                iterators.append(iter(sorted(graph.get(following, ()))))
    return None


def main():
    if len(sys.argv) != 2:
        print("usage: include_graph.py <source root>", file=sys.stderr)
        return 2
    cycle = find_cycle(module_graph(sys.argv[1]))
    print("1..1")
    if cycle:
        print("not ok 1 - include cycle: " + " -> ".join(cycle))
        return 1
    print("ok 1 - no include cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
