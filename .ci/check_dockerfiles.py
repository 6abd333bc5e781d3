#!/usr/bin/env python3
"""Check generated Dockerfiles with BuildKit's own parser.

Every `Dockerfile` / `*.Dockerfile` under the given directories must parse.
Where a `NAME.expect.json` sits beside `NAME.Dockerfile` (written by
tests/hostile.rs), the parse must give exactly the expected instruction
keywords and, for exec-form instructions, exactly the expected arguments.
Each expected value (ENV, ARG, LABEL, WORKDIR, VOLUME, COPY sources) must
also come out of BuildKit's word processing exactly as the spec wrote it:
`Lex` below follows BuildKit's shell lexer (frontend/dockerfile/shell),
which BuildKit runs over those operands even in JSON form.
"""

import json
import pathlib
import sys

import dockerfile


def dockerfiles(root):
    for path in sorted(pathlib.Path(root).rglob("*")):
        if path.is_file() and (path.name == "Dockerfile" or path.name.endswith(".Dockerfile")):
            yield path


class LexError(Exception):
    pass


class Lex:
    """BuildKit's `ProcessWord` with the default escape token `\\`.

    With `keep_unset`, a variable reference comes back as written (as
    BuildKit's SkipUnsetEnv does); otherwise any expansion is an error,
    because the value was meant to arrive literally.
    """

    SPECIAL = set("@*#?-$!0")

    def __init__(self, text, keep_unset=False):
        self.text = text
        self.i = 0
        self.keep_unset = keep_unset

    def peek(self):
        return self.text[self.i] if self.i < len(self.text) else None

    def next(self):
        ch = self.peek()
        if ch is not None:
            self.i += 1
        return ch

    def word(self):
        return self.stop_on(None, False)

    def stop_on(self, stop, raw_escapes):
        out = []
        while self.peek() is not None:
            ch = self.peek()
            if stop is not None and ch == stop:
                self.next()
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
            elif ch == "<":
                self.next()
                if self.peek() != "<":
                    out.append("<")
                    continue
                self.next()
                space = ""
                while self.peek() in (" ", "\t", "\n", "\r"):
                    space += self.next()
                out.append("<<" + space)
            elif ch == "'":
                out.append(self.single())
            elif ch == '"':
                out.append(self.double())
            else:
                ch = self.next()
                if ch == "\\":
                    if raw_escapes:
                        out.append(ch)
                    ch = self.next()
                    if ch is None:
                        break
                out.append(ch)
        if stop is not None:
            raise LexError(f"unexpected end looking for {stop}")
        return "".join(out)

    def single(self):
        self.next()
        out = []
        while True:
            ch = self.next()
            if ch is None:
                raise LexError("unexpected end looking for a single quote")
            if ch == "'":
                return "".join(out)
            out.append(ch)

    def double(self):
        self.next()
        out = []
        while True:
            ch = self.peek()
            if ch is None:
                raise LexError("unexpected end looking for a double quote")
            if ch == '"':
                self.next()
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == "\\":
                nxt = self.peek()
                if nxt is None:
                    continue
                if nxt in ('"', "$", "\\"):
                    ch = self.next()
            out.append(ch)

    def name(self):
        out = ""
        while self.peek() is not None:
            ch = self.peek()
            if not out and ch.isdigit():
                while self.peek() is not None and self.peek().isdigit():
                    out += self.next()
                return out
            if not out and ch in self.SPECIAL:
                return self.next()
            if not (ch.isalpha() or ch.isdigit() or ch == "_"):
                break
            out += self.next()
        return out

    def expand(self, name, verbatim):
        if self.keep_unset:
            return verbatim
        raise LexError(f"`{verbatim}` would be expanded")

    def dollar(self):
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            return self.expand(name, "$" + name)
        self.next()
        if self.peek() is None:
            raise LexError("missing }")
        if self.peek() in "{}:":
            raise LexError("bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            return self.expand(name, "${" + name + "}")
        modifier = ch or ""
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            modifier += ch or ""
        if ch is not None and ch in "+-?#%":
            raw = ch in "#%"
            if null_is_unset and raw:
                raise LexError("unsupported modifier")
            word = self.stop_on("}", raw)
            return self.expand(name, "${" + name + modifier + word + "}")
        raise LexError(f"unsupported modifier {modifier!r}")


def processed(word, keep_unset=False):
    return Lex(word, keep_unset).word()


def glob_literal(source):
    """A COPY source as the path it matches: `[[]` is the class of `[`."""
    literal = source.replace("[[]", "[")
    return literal


def find_value(commands, want):
    keyword = want["keyword"]
    found = []
    for c in commands:
        if c.cmd.upper() != keyword:
            continue
        values = list(c.value)
        if keyword in ("ENV", "LABEL"):
            for k, v in zip(values[0::2], values[1::2]):
                key = processed(k)
                value = processed(v, keep_unset=keyword == "ENV")
                found.append((key, value))
                if key == want["key"] and value == want["value"]:
                    return None
        elif keyword == "ARG":
            for item in values:
                k, _, v = item.partition("=")
                value = processed(v, keep_unset=True)
                found.append((k, value))
                if k == want["key"] and value == want["value"]:
                    return None
        elif keyword in ("WORKDIR", "VOLUME"):
            for v in values:
                found.append(processed(v))
                if found[-1] == want["value"]:
                    return None
        elif keyword == "COPY":
            for v in values[:-1]:
                found.append(glob_literal(processed(v)))
                if found[-1] == want["source"]:
                    return None
        elif keyword == "ADD":
            # Only URLs: no globs. `dest`, when given, must match too.
            dest = processed(values[-1])
            for v in values[:-1]:
                found.append((processed(v), dest))
                if found[-1][0] == want["source"] and want.get("dest", dest) == dest:
                    return None
    return f"{keyword}: expected {want}, BuildKit reads {found}"


def check(path):
    commands = dockerfile.parse_file(str(path))
    expect_path = path.with_name(path.name[: -len(".Dockerfile")] + ".expect.json")
    if not expect_path.exists():
        return None
    expect = json.loads(expect_path.read_text())
    keywords = [c.cmd.upper() for c in commands]
    if keywords != expect["keywords"]:
        return f"instructions {keywords} != expected {expect['keywords']}"
    exec_form = expect.get("exec")
    if exec_form:
        found = next((c for c in commands if c.cmd.upper() == exec_form["keyword"]), None)
        if found is None:
            return f"no {exec_form['keyword']}"
        args = list(found.value)
        if exec_form["keyword"] == "HEALTHCHECK":
            if not args or args[0] != "CMD":
                return f"HEALTHCHECK without CMD: {args}"
            args = args[1:]
        if not found.json or args != exec_form["args"]:
            return f"{exec_form['keyword']} parsed as {args} (json={found.json}), expected {exec_form['args']}"
    for want in expect.get("values", []):
        try:
            problem = find_value(commands, want)
        except LexError as error:
            problem = f"{want['keyword']}: BuildKit's lexer fails: {error}"
        if problem:
            return problem
    return None


def main(roots):
    checked = failed = 0
    for root in roots:
        for path in dockerfiles(root):
            checked += 1
            try:
                problem = check(path)
            except dockerfile.GoParseError as error:
                problem = f"does not parse: {error}"
            if problem:
                failed += 1
                print(f"FAIL {path}: {problem}")
    print(f"BuildKit parser: {checked - failed} passed, {failed} failed")
    if checked == 0:
        print("no Dockerfiles found", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
