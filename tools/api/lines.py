"""One line per public symbol of a module's symbol graphs: `<kind> <Module>.<path> :: <declaration>`, sorted.

The module's own graph and its extension graphs (`<Module>@<Other>.symbols.json`: members it adds to other modules'
types, named by that module) are read; extension-block symbols (`swift.extension`) are skipped, their members are
listed. Whitespace in a
declaration is collapsed, so a reformatting of the source does not change the listing.

    python3 tools/api/lines.py MODULE GRAPH_DIR
"""
import glob
import json
import os
import re
import sys


def lines(module, graph_dir):
    out = set()
    for path in sorted(glob.glob(os.path.join(graph_dir, "*.symbols.json"))):
        graph = json.load(open(path, encoding="utf-8"))
        # `JSec@JSecCrypto.symbols.json`: members JSec adds to JSecCrypto's types, named in JSecCrypto.
        owner = os.path.basename(path).removesuffix(".symbols.json").partition("@")[2] or module
        for symbol in graph["symbols"]:
            kind = symbol["kind"]["identifier"].removeprefix("swift.")
            if kind == "extension":
                continue
            name = ".".join([owner] + symbol["pathComponents"])
            declaration = "".join(f["spelling"] for f in symbol.get("declarationFragments", []))
            declaration = re.sub(r"\s+", " ", declaration).strip()
            out.add(f"{kind} {name} :: {declaration}")
    return sorted(out)


if __name__ == "__main__":
    for line in lines(sys.argv[1], sys.argv[2]):
        print(line)
