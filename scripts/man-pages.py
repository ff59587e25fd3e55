#!/usr/bin/python3
"""Writes signet's man pages from the built binary's --help, gzipped as Debian wants (gzip -9n).

    man-pages.py SIGNET_BINARY OUTPUT_DIR

signet(1) lists the commands; each command has its page, signet-serve(1), signet-clients(1)...,
with its verbs (signet clients create...) as sections. The text is the --help text itself, so the
pages never say anything the binary does not: CLI11's layout (a description, "Usage:", then the
"Positionals:", "Options:" and "Subcommands:" tables, then a footer such as "Example: ...") is
read back and written as roff. OUTPUT_DIR is emptied of older pages first, so a command that went
away loses its page.
"""

import gzip
import re
import subprocess
import sys
from pathlib import Path

SECTIONS = ("Positionals", "Options", "Subcommands")
# CLI11 starts an item's description in this column, and continues it there on later lines.
DESCRIPTION_COLUMN = 30


def run_help(binary, path):
    # argv[0] is "signet", so that the usage lines name the command and not the build directory.
    done = subprocess.run(["signet", *path, "--help"], executable=binary, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"man-pages: 'signet {' '.join(path)} --help' failed: {done.stderr.strip()}")
    return done.stdout


class Command:
    def __init__(self, path, text):
        self.path = path  # ["clients", "create"]; [] for signet itself
        self.description = []  # lines, as printed
        self.usage = ""
        self.tables = {name: [] for name in SECTIONS}  # name -> [(head, [description lines])]
        self.footer = []
        self.children = []
        self._parse(text.splitlines())

    def _parse(self, lines):
        i = 0
        while i < len(lines) and not lines[i].startswith("Usage: "):
            self.description.append(lines[i])
            i += 1
        if i == len(lines):
            sys.exit(f"man-pages: no 'Usage:' line in the help of {self.title()}")
        self.usage = lines[i][len("Usage: "):]
        table = None
        for line in lines[i + 1:]:
            header = line[:-1] if line.endswith(":") else None
            if header in SECTIONS:
                table = self.tables[header]
            elif not line.strip():
                if self.footer:
                    self.footer.append("")
                table = None
            elif self.footer or table is None:
                self.footer.append(line)
            elif re.match(r"  \S", line):
                head, _, rest = re.split(r"(\s{2,})", line.strip() + "  ", maxsplit=1)[0:3]
                table.append((head, [rest.strip()] if rest.strip() else []))
            else:
                # A continuation: drop CLI11's indentation, keep what goes beyond it (examples).
                indent = len(line) - len(line.lstrip())
                table[-1][1].append(" " * max(0, indent - DESCRIPTION_COLUMN) + line.strip())
        while self.footer and not self.footer[-1]:
            self.footer.pop()

    def title(self):
        return " ".join(["signet", *self.path])

    def summary(self):
        """The first sentence of the description, or what comes before its first ': '."""
        words = []
        for line in self.description:
            if not line.strip() or line.startswith(" "):
                # An example or a new paragraph interrupted the sentence: end it at its last clause.
                text = " ".join(words)
                return text.rsplit(", ", 1)[0] if "," in text else text
            words.append(line.strip())
            text = " ".join(words)
            # signet's own help begins "signet: issue and check...": the name is not the summary.
            if text.startswith(self.title() + ": "):
                text = text[len(self.title()) + 2:]
            for end in (": ", ". "):
                if end in text:
                    return text.split(end, 1)[0]
            if text.endswith((".", ":")):
                return text[:-1]
        return " ".join(words).rstrip(".:")


def roff(text):
    """Text as roff: backslashes and minus signs escaped (so that options copy as typed), any
    non-ASCII character by its code point, and a line that would start with a control character
    protected."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\e")
        elif ch == "-":
            out.append("\\-")
        elif ord(ch) > 127:
            out.append(f"\\[u{ord(ch):04X}]")
        else:
            out.append(ch)
    line = "".join(out)
    return "\\&" + line if line.startswith((".", "'")) else line


def paragraph(lines):
    """Lines of help text: running text is filled, indented lines (examples) kept as they are."""
    out = []
    verbatim = False
    for line in lines:
        indented = line.startswith(" ")
        if indented and not verbatim:
            out += [".RS 2", ".nf"]
        elif not indented and verbatim:
            out += [".fi", ".RE"]
        verbatim = indented
        if not line.strip():
            out.append(".PP" if not verbatim else "")
        else:
            out.append(roff(line.strip() if not verbatim else line[2:] if line.startswith("  ") else line))
    if verbatim:
        out += [".fi", ".RE"]
    return out


def item_head(head):
    """'--listen TEXT=127.0.0.1:4000 (Env:SIGNET_LISTEN)': the option names bold, the rest roman."""
    names, _, rest = head.partition(" ")
    bold = ", ".join(f"\\fB{roff(n)}\\fR" for n in names.split(","))
    return bold + (" " + roff(rest) if rest else "")


def command_body(cmd, heading):
    """The usage, description and tables of one command; `heading` is .SH for a page's own
    command and .SS for a verb within it."""
    sub = heading == ".SS"
    out = []
    if sub:
        out += [f'.SS "{roff(cmd.title())}"']
    out += [f"\\fB{roff(cmd.title())}\\fR{roff(cmd.usage[len(cmd.title()):])}", ".PP"]
    out += paragraph(cmd.description)
    for name, label in (("Positionals", "Arguments"), ("Options", "Options"),
                        ("Subcommands", "Commands")):
        rows = cmd.tables[name]
        if not rows:
            continue
        out += [f".PP\n\\fI{label}:\\fR" if sub else f".SH {label.upper()}"]
        for head, desc in rows:
            if name == "Subcommands":
                head = f"{cmd.title()} {head}"
            out += [".TP", item_head(head) if name != "Subcommands" else f"\\fB{roff(head)}\\fR"]
            out += paragraph(desc) if desc else []
    if cmd.footer:
        out += [".PP"] + paragraph(cmd.footer)
    return out


def page(cmd, version, see_also, details):
    name = "-".join(["signet", *cmd.path])
    out = [
        f'.TH "{name.upper()}" 1 "" "signet {version}" "signet manual"',
        # Neither hyphenated nor justified: option names and paths must read as typed.
        ".nh",
        ".ad l",
        ".SH NAME",
        f"{roff(name)} \\- {roff(cmd.summary()[:1].lower() + cmd.summary()[1:])}",
        ".SH SYNOPSIS",
    ]
    body = command_body(cmd, ".SH")
    # The usage line is the synopsis; the description follows under its own heading.
    out += body[:1] + [".SH DESCRIPTION"] + body[2:]
    descendants = []

    def walk(node):
        for child in node.children:
            descendants.append(child)
            walk(child)

    if details:
        walk(cmd)
    if descendants:
        out.append(".SH \"COMMAND DETAILS\"")
        for child in descendants:
            out += command_body(child, ".SS")
    others = [p for p in see_also if p != name]
    out += [".SH \"SEE ALSO\"", ",\n".join(f"\\fB{roff(p)}\\fR(1)" for p in others)]
    return "\n".join(out) + "\n"


def load(binary, path):
    cmd = Command(path, run_help(binary, path))
    cmd.children = [load(binary, [*path, head.split()[0]]) for head, _ in cmd.tables["Subcommands"]]
    return cmd


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, out_dir = sys.argv[1], Path(sys.argv[2])
    version_text = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                  check=True).stdout.split()
    version = version_text[-1] if version_text else "unknown"
    root = load(binary, [])
    pages = ["signet"] + [f"signet-{c.path[0]}" for c in root.children]
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.1.gz"):
        old.unlink()
    # signet(1) lists the commands and leaves their details to their own pages.
    for cmd, name in [(root, "signet")] + [(c, f"signet-{c.path[0]}") for c in root.children]:
        text = page(cmd, version, pages, details=cmd is not root)
        # mtime 0 and no file name in the header: gzip -9n, so that rebuilding changes nothing.
        data = gzip.compress(text.encode("ascii"), compresslevel=9, mtime=0)
        (out_dir / f"{name}.1.gz").write_bytes(data)


if __name__ == "__main__":
    main()
