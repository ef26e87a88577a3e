"""What every section's rules are made of: a key with its default, its check and a comment,
and the validation of one section of params.yaml against its rules. Holds no section's rules."""

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

# The one spelling of "not set" in params.yaml, for numbers (a cap, a size) and files alike: a
# param that names a file must hold a path for dvc.yaml to watch (DVC cannot interpolate a null),
# so "none" it is, and ``stages.common.load_params`` hands it to the stages as None.
UNSET = "none"


class ParamsError(Exception):
    """A wrong or missing params key; ``stages.common.run`` and ``python -m stages.params``
    report it in one line."""

    def __init__(self, msg):
        super().__init__(f"params.yaml: {msg}")


@dataclass(frozen=True)
class Key:
    default: object
    check: object  # value -> bool
    allowed: str  # what the check accepts, in words
    comment: str = ""


def is_unset(value) -> bool:
    return value is None or value == UNSET


def number(default, lo=None, hi=None, integer=False, null=False, comment=""):
    kind = "an integer" if integer else "a finite number"
    rng = f" in [{lo}, {hi}]" if hi is not None else (f" >= {lo}" if lo is not None else "")

    def check(v):
        if v == UNSET:
            return null
        if isinstance(v, bool) or not isinstance(v, int if integer else (int, float)):
            return False
        return math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi)

    return Key(UNSET if null and default is None else default, check, kind + rng + (f" or {UNSET}" if null else ""),
               comment)


def integer(default, lo=None, hi=None, null=False, comment=""):
    return number(default, lo, hi, integer=True, null=null, comment=comment)


def positive(default, comment=""):
    base = number(default)
    return Key(default, lambda v: base.check(v) and v > 0, "a finite number > 0", comment)


def one_of(default, *choices, comment=""):
    return Key(default, lambda v: v in choices and type(v) is type(default), "one of " + ", ".join(map(repr, choices)),
               comment)


def boolean(default, comment=""):
    return one_of(default, True, False, comment=comment)


def path(comment=""):
    return Key(UNSET, lambda v: isinstance(v, str) and bool(v), f"a path, or {UNSET} when no file is given", comment)


def str_list(default, comment=""):
    return Key(default, lambda v: isinstance(v, list) and bool(v) and all(isinstance(s, str) for s in v),
               "a non-empty list of strings", comment)


def unit_pair(default, comment=""):
    unit = number(0, 0, 1)
    return Key(default, lambda v: isinstance(v, list) and len(v) == 2 and all(unit.check(b) and b < 1 for b in v),
               "a list of two numbers in [0, 1)", comment)


def sections_available() -> list:
    """The section names params.yaml may hold: one rules module each, beside this file (listed,
    not imported: a stage depends only on the rules of the sections it reads)."""
    not_sections = ("__init__", "__main__", "checks")
    return sorted(p.stem for p in Path(__file__).parent.glob("*.py") if p.stem not in not_sections)


def section_defaults(rules) -> dict:
    """A section's keys with their defaults (what params.yaml holds before any preset)."""
    return {key: rule.default for key, rule in rules.KEYS.items()}


def section_name(rules) -> str:
    return rules.__name__.rsplit(".", 1)[-1]


def validate_section(params: dict, rules, combinations=True) -> dict:
    """Check one section of ``params`` against a rules module (its KEYS, then its ``check``
    unless ``combinations`` is false); unknown, missing and wrong keys all name the key and
    what it accepts."""
    name = section_name(rules)
    given = params.get(name)
    if not isinstance(given, dict):
        raise ParamsError(f"missing section '{name}'" if given is None else f"'{name}' must be a mapping of keys")
    for key in given:
        if key not in rules.KEYS:
            raise ParamsError(f"unknown key '{name}.{key}'; allowed in '{name}': {', '.join(rules.KEYS)}")
    for key, rule in rules.KEYS.items():
        if key not in given:
            raise ParamsError(f"missing key '{name}.{key}' (expected {rule.allowed})")
        value = given[key]
        if value is None and rule.check(UNSET):
            raise ParamsError(f"'{name}.{key}' is null; write {UNSET} to leave it unset (the one spelling in "
                              "params.yaml: DVC needs a path to watch where a param names a file)")
        if not rule.check(value):
            raise ParamsError(f"'{name}.{key}' is {value!r}; expected {rule.allowed}" + _hint(value))
    if combinations and hasattr(rules, "check"):
        rules.check(given)
    return given


def read_params_file(path) -> dict:
    """A params file's sections (not yet validated), or one line naming the file."""
    try:
        with open(path) as f:
            raw = yaml.safe_load(f) or {}
    except FileNotFoundError:
        raise ParamsError(f"{path} does not exist") from None
    except yaml.YAMLError as e:
        raise ParamsError(f"{path} is not valid YAML: {e}") from None
    check_sections_known(raw)
    return raw


def check_sections_known(params: dict):
    if not isinstance(params, dict):
        raise ParamsError("expected a mapping of sections")
    known = sections_available()
    for section in params:
        if section not in known:
            raise ParamsError(f"unknown section '{section}'; allowed: {', '.join(known)}")


def _hint(value) -> str:
    """YAML 1.1 (PyYAML, DVC) reads 3e-4 as text: say how to write it as a number."""
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return f" (a quoted or YAML-1.1 text value; write it as {kind(value)!r})"
            except ValueError:
                pass
    return ""
