"""The little template language of saved replies: parse, check, fill. No database.

A saved reply's body is plain text with variables in double braces, each optionally with
a default for when the value is empty::

    Hi {{contact.first_name|default:"there"}}, this is {{agent.first_name}}.

Only the variables in VARIABLES exist, and ``default`` is the only filter. The result is
plain text (an SMS, an email's text part, a note): nothing is escaped, so "Tom & Jerry <3"
stays as typed. Django's template engine is not used on purpose: it escapes HTML and
would let a body run tags.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from core.errors import ValidationError

VARIABLES = ("contact.first_name", "contact.name", "agent.first_name", "agent.name")


def _known(variables) -> str:
    return "The variables are " + ", ".join("{{" + name + "}}" for name in variables) + "."


_EXAMPLE = '{{contact.first_name|default:"there"}}'

# A tag is what lies between "{{" and the nearest "}}" on the same line.
_TAG = re.compile(r"\{\{(.*?)\}\}")
# Quotes people type: straight ones, and the curly ones their keyboards put in for them.
_QUOTED = (
    r'"(?P<d2>[^"]*)"|\'(?P<d1>[^\']*)\''
    # Curly double quotes, then curly single ones.
    r"|\u201c(?P<d4>[^\u201d]*)\u201d|\u2018(?P<d3>[^\u2019]*)\u2019"
)
_INSIDE = re.compile(
    r"\s*(?P<name>[^|\s]*)\s*(?:\|\s*(?P<filter>[^:\s]*)\s*(?::\s*(?P<argument>.*?))?)?\s*",
    re.DOTALL,
)
_DEFAULT_ARGUMENT = re.compile(rf"(?:{_QUOTED})")


@dataclass(frozen=True)
class Variable:
    """One ``{{...}}`` of a body: the variable it names, and its default (None: none)."""

    name: str
    default: str | None


def parse(body: str, variables: Collection[str] = VARIABLES) -> list[str | Variable]:
    """The body as its pieces, in order: text as it is, and a Variable for each tag.

    Raises ValidationError (field "body") naming what is wrong: a variable not among
    ``variables`` (those listed), a filter other than ``default``, a default not in
    quotes, or braces that open or close no tag.
    """
    pieces: list[str | Variable] = []
    position = 0
    for tag in _TAG.finditer(body):
        pieces.append(_plain_text(body[position : tag.start()], variables))
        pieces.append(_variable(tag.group(0), tag.group(1), variables))
        position = tag.end()
    pieces.append(_plain_text(body[position:], variables))
    return [piece for piece in pieces if piece != ""]


def validate(body: str, variables: Collection[str] = VARIABLES) -> None:
    """Raise ValidationError (field "body") unless ``body`` parses (see ``parse``)."""
    parse(body, variables)


def fill(body: str, values: Mapping[str, str], variables: Collection[str] = VARIABLES) -> str:
    """The body with each variable replaced by its value in ``values``; an empty or missing
    value gives the variable's default, or nothing without one."""
    return "".join(
        piece if isinstance(piece, str) else (values.get(piece.name) or piece.default or "")
        for piece in parse(body, variables)
    )


def _plain_text(text: str, variables: Collection[str] = VARIABLES) -> str:
    for braces, problem in (("{{", 'is never closed with "}}"'), ("}}", "closes nothing")):
        if braces in text:
            raise ValidationError(
                f'The "{braces}" in "{_near(text, braces)}" {problem}: write each variable '
                f"in double braces on one line, like {_EXAMPLE}. {_known(variables)}",
                field="body",
            )
    return text


def _variable(tag: str, inside: str, variables: Collection[str] = VARIABLES) -> Variable:
    parts = _INSIDE.fullmatch(inside)
    name = parts["name"] if parts else inside.strip()
    if not name:
        raise ValidationError(f"{tag} names no variable. {_known(variables)}", field="body")
    if name.lower() not in variables:
        raise ValidationError(
            f"{{{{{name}}}}} is not a variable Hatch knows. {_known(variables)}", field="body"
        )
    if parts["filter"] is None:
        return Variable(name.lower(), None)
    if parts["filter"].lower() != "default":
        raise ValidationError(
            f'{tag}: "{parts["filter"]}" is not something a variable can do; only a default '
            f"can follow the bar, like {_EXAMPLE}.",
            field="body",
        )
    default = _DEFAULT_ARGUMENT.fullmatch(parts["argument"] or "")
    if default is None:
        raise ValidationError(f"{tag}: write the default in quotes, like {_EXAMPLE}.", field="body")
    text = next(value for value in default.groupdict().values() if value is not None)
    return Variable(name.lower(), text)


def _near(text: str, braces: str) -> str:
    start = text.index(braces)
    return text[max(start - 15, 0) : start + 25].strip()
