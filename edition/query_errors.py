"""The errors of a query and how a syntax error is shown (located, with a caret)."""

from __future__ import annotations

import re
from typing import Any

from . import query_guard
from .diagnostics import EditionQueryError, EditionUsageError
from .document import NAMESPACES

__all__ = ["QuerySyntaxError", "QueryEvaluationError", "QueryBudgetError", "QueryRefusedError", "RESOURCE_WORDS"]


class QuerySyntaxError(EditionQueryError, EditionUsageError):
    """The expression does not compile (E0501); the CLI exits with 2."""


class QueryEvaluationError(EditionQueryError):
    """The expression failed on one document (E0502); other documents still run."""


class QueryBudgetError(QueryEvaluationError):
    """The query ran out of its budget: items, recursion depth, memory (E0504); exit 1."""


class QueryRefusedError(EditionQueryError):
    """The expression calls a function that reaches outside the inputs, or holds a
    character XML does not allow (E0505); exit 1."""


# -- syntax errors ---------------------------------------------------------------------

def _caret(expression: str, offset: int) -> str:
    lines = expression.split("\n")
    before = expression[:offset]
    line_no = before.count("\n")
    column = offset - (before.rfind("\n") + 1)
    return f"    {lines[min(line_no, len(lines) - 1)]}\n    {' ' * column}^"


def _syntax_error(expression: str, message: str, offset: int, code: str = "") -> QuerySyntaxError:
    offset = min(max(offset, 0), len(expression))
    line, column = query_guard.line_column(expression, offset)
    code = f" [{code}]" if code else ""
    return QuerySyntaxError.at("E0501", f"XPath syntax error: {message}{code}\n{_caret(expression, offset)}",
                               path="<expression>", line=line, column=column)


def _elementpath_syntax_error(expression: str, error: Any) -> QuerySyntaxError:
    token = getattr(error, "token", None)
    span = getattr(token, "span", None)
    offset = span[0] if span else len(expression)
    return _syntax_error(expression, str(error.message), offset, str(getattr(error, "code", "") or ""))


_NO_CONTEXT = "Leading '/' selects nothing"


def _saxon_syntax_error(expression: str, message: str) -> EditionQueryError:
    """Saxon's message, located by elementpath's parser where it fails too (Saxon's own
    messages carry no offset)."""
    unbound = re.search(r"variable \$([\w.\-]+)", message)
    if unbound and "No value" in message:
        name = unbound.group(1)
        return QuerySyntaxError.at("E0501", f"variable ${name} is not bound; pass --var {name}=VALUE",
                                   path="<expression>", line=1, column=expression.find("$" + name) + 1)
    if message.startswith(_NO_CONTEXT):
        # found by Saxon after parsing, where elementpath's parser sees nothing wrong (it accepts
        # `//` in a function body): the caret goes at the start without its import (0.1 s)
        return _syntax_error(expression, message, 0)
    try:
        from . import xpath_elementpath
        xpath_elementpath.compile_expression(expression, NAMESPACES)
    except RecursionError:
        pass
    except Exception as error:  # noqa: BLE001 - only to find where the expression breaks
        if hasattr(error, "token"):
            located = _elementpath_syntax_error(expression, error)
            if type(error).__name__ == "ElementPathSyntaxError":
                # elementpath parsed the expression alone: its words are about what the user
                # wrote, where Saxon's, about the wrapper its check puts around the expression
                # ("expected 'else', found )" for a stray parenthesis), may name what they did not
                return located
            first = located.diagnostic.message.split("\n")
            return QuerySyntaxError.at("E0501", "\n".join([f"XPath syntax error: {message}", *first[1:]]),
                                       path="<expression>", line=located.diagnostic.line,
                                       column=located.diagnostic.column)
    return _syntax_error(expression, message, 0)


RESOURCE_WORDS = ("Maximum length of sequence", "StackOverflow", "OutOfMemory", "Too many nested",
                   "stack overflow", "too deeply nested")
