"""params.yaml from the defaults and a preset, and a check of the whole file.

    python -m stages.params write [presets/imagenette.yaml] [-o params.yaml]
    python -m stages.params check [params.yaml]

A preset holds only the keys it changes; every other key takes its default from the
section's rules module. ``check`` validates every section, the combinations across
sections and the data folder before anything runs (``make repro`` runs it first), where a
stage checks only the sections it reads.
"""

import argparse
import sys
from pathlib import Path

import yaml

from stages.params import (classifier, colorize, data, evaluate, finetune, model, prior, probe, runtime, seeds,
                           study, synsets, train)
from stages.params.checks import (ParamsError, check_sections_known, read_params_file, section_defaults, section_name,
                                  validate_section)

SECTIONS = (data, synsets, prior, model, train, runtime, classifier, colorize, evaluate, study, seeds, probe, finetune)
ROOT = Path(__file__).resolve().parents[2]
HEADER = """\
# Written by `python -m stages.params write{preset}`: the defaults of stages/params/{source}.
# Edit it freely, run `dvc exp run -S key=value`, or write it anew from a preset
# (`make params PRESET=imagenette`; `make params` for the defaults).
# Equation numbers: "eq. N" is the KTH reproduction's, "Zhang eq. N" Zhang et al.'s.
# `none` means not set, for numbers and files alike (an unset file param makes DVC watch ./none).
"""
COMMENT_COLUMN = 27


def scalar(v) -> str:
    """One YAML 1.1 value as PyYAML and DVC read it back (3e-4 would be text: write 3.0e-4)."""
    if isinstance(v, list):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    if isinstance(v, float):
        text = repr(v)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
        return text
    return yaml.safe_dump(v, default_flow_style=True, width=1000).removesuffix("\n...\n").strip()


def defaults() -> dict:
    return {section_name(s): section_defaults(s) for s in SECTIONS}


def merged(preset: dict | None) -> dict:
    out = defaults()
    for section, values in (preset or {}).items():
        if section not in out:
            raise ParamsError(f"preset: unknown section '{section}'; allowed: {', '.join(out)}")
        for key, value in (values or {}).items():
            if key not in out[section]:
                raise ParamsError(f"preset: unknown key '{section}.{key}'; allowed in '{section}': "
                                  f"{', '.join(out[section])}")
            out[section][key] = value
    return out


def render(params: dict, preset=None) -> str:
    """params.yaml's text: every key with its comment; a value the preset changed says so."""
    preset_name = Path(preset).stem if preset else None
    source = " and the keys the preset changes (marked)" if preset else ""
    lines = [HEADER.format(preset=f" {preset}" if preset else "", source=source)]
    for rules in SECTIONS:
        name = section_name(rules)
        lines.append(_line(f"{name}:", rules.COMMENT))
        for key, rule in rules.KEYS.items():
            value = params[name][key]
            comment = rule.comment
            if value != rule.default:
                comment = f"{comment} [{preset_name}; default {scalar(rule.default)}]".strip()
            lines.append(_line(f"  {key}: {scalar(value)}", comment))
    return "\n".join(lines) + "\n"


def _line(text, comment):
    return f"{text.ljust(COMMENT_COLUMN - 2)}  # {comment}" if comment else text


def check_all(params: dict, folders=True):
    """Every section, then what only the sections together can tell, then (``folders``) that
    the data folder is there."""
    check_sections_known(params)
    for rules in SECTIONS:
        validate_section(params, rules, combinations=rules is not data)
    d = params["data"]
    data.check_root_named(d)
    if folders:
        data.check_folder(d)
    train.check_against_images(params["train"], None, d["size"], where="data.size")
    evaluate.check_image_size(params["evaluate"], d["size"])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m stages.params", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write", help="write params.yaml from the defaults and a preset")
    w.add_argument("preset", nargs="?", help="a YAML file of the keys it changes, e.g. presets/imagenette.yaml")
    w.add_argument("-o", "--output", default=str(ROOT / "params.yaml"))
    c = sub.add_parser("check", help="check every section of a params file and the data folder")
    c.add_argument("file", nargs="?", default=str(ROOT / "params.yaml"))
    args = parser.parse_args(argv)
    if args.command == "write":
        preset = yaml.safe_load(Path(args.preset).read_text()) if args.preset else None
        params = merged(preset)
        check_all(params, folders=False)
        Path(args.output).write_text(render(params, args.preset))
        print(f"wrote {args.output}" + (f" from the defaults and {args.preset}" if args.preset else " (the defaults)"))
        try:
            data.check_folder(params["data"])
        except ParamsError as e:
            print(f"note: {str(e).removeprefix('params.yaml: ')}; get the data before `make repro`")
        return 0
    check_all(read_params_file(args.file))
    print(f"{args.file}: every section checked")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ParamsError as e:  # one line, not a traceback
        sys.exit(str(e))
