"""The lesson file format: Markdown a teacher writes, with each step's settings in a fenced TOML block.

    # Lesson title
    An introduction (optional).
    ## A step's title
    What the step says, in Markdown.
    ```toml
    project = "Two paths (notes)"
    select = ["in[0] -> h1[0]"]
    [predict]
    value = "gradient"
    of = "in[0] -> h1[0]"
    ```

Parsing is strict, like project files: every problem is a `LessonError` naming the file and the 1-based line, so a
teacher can fix the file without reading code. Names on the canvas (layers, neurons, weights) are checked against
the project's network later (`check_lesson`), because only then is the network known. docs/lessons.md is the
reference; this module and that page change together.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BackpropError

ACTIONS = ("step", "epoch", "reset")  # what a step can do to the run: one mini-batch, one epoch, fresh weights
PANELS = ("explain", "norms", "loss", "training")  # the panel a step brings to the front
STEP_KEYS = ("project", "select", "highlight", "show", "action", "predict")
PREDICT_KEYS = ("value", "of", "through", "sample", "output", "relative", "absolute")
DEFAULT_RELATIVE = 0.05  # a prediction within 5 % is right, unless the step says otherwise
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w-]*)\s*$")
TOML_ERROR_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


class LessonError(BackpropError):
    """A lesson file is unreadable or invalid; the message starts with the file and the line at fault."""

    def __init__(self, message: str, *, path: Path | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ", ".join(part for part in (path.name if path else "", f"line {line}" if line else "") if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class Prediction:
    """A number the learner predicts before the app reveals it; `value` is a kind of `engine.lessons.values`."""

    value: str
    of: str | None = None  # a neuron "h1[0]", a weight "in[0] -> h1[0]" or a connection "h1 -> h2"
    through: tuple[str, ...] = ()  # a path's neurons after the weight's own, to the output
    sample: int = 0  # the row of the training set
    output: int = 0  # which output neuron, for "derivative"
    relative: float = DEFAULT_RELATIVE
    absolute: float = 0.0

    def accepts(self, guess: float, truth: float) -> bool:
        return abs(guess - truth) <= max(self.absolute, self.relative * abs(truth))


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # Markdown, without the settings block
    line: int  # of the step's heading
    project: str | None = None  # an example's name, or a project file's path relative to the lesson
    select: tuple[str, ...] = ()
    highlight: tuple[str, ...] = ()
    show: str | None = None
    action: str | None = None
    predict: Prediction | None = None
    key_lines: dict[str, int] = field(default_factory=dict, compare=False)  # "select", "predict.of" → file line

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True)
class Lesson:
    path: Path
    title: str
    intro: str
    steps: tuple[Step, ...]

    @property
    def key(self) -> str:
        """What remembers the learner's progress: the file's name without its suffix."""
        return self.path.stem


def load_lesson(path: Path) -> Lesson:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LessonError(f"cannot read the file: {exc}", path=path) from None
    return parse_lesson(text, path)


def parse_lesson(text: str, path: Path) -> Lesson:
    title: str | None = None
    intro: list[str] = []
    steps: list[Step] = []
    current: dict[str, Any] | None = None  # the step being read: title, line, text lines, settings
    fence: tuple[str, str, int, list[str]] | None = None  # (marker, language, first line, lines)

    def finish() -> None:
        if current is not None:
            steps.append(_build_step(current, path))

    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if fence is not None:
            marker, language, start, lines = fence
            if match and match.group(1).startswith(marker) and not match.group(2):
                fence = None
                if language == "toml":
                    _settings(current, lines, start, path)
                    continue
                (current["text"] if current is not None else intro).append(line)
            elif language == "toml":
                lines.append(line)
            else:  # a code block of the step's text
                (current["text"] if current is not None else intro).append(line)
            continue
        if match:
            fence = (match.group(1), match.group(2).lower(), number, [])
            if fence[1] == "toml":
                if current is None:
                    raise LessonError("a settings block (```toml) belongs to a step: put a '## ' heading above it",
                                      path=path, line=number)
                if "settings" in current:
                    raise LessonError(f"this step (line {current['line']}) already has a settings block; a step "
                                      "has at most one", path=path, line=number)
                continue
        if line.startswith("# ") and title is None and current is None:
            title = line[2:].strip()
        elif line.startswith("## "):
            if title is None:
                raise LessonError("the file must start with the lesson's title, a '# ' heading", path=path,
                                  line=number)
            finish()
            current = {"title": line[3:].strip(), "line": number, "text": []}
        elif title is None:
            if line.strip():
                raise LessonError("the file must start with the lesson's title, a '# ' heading", path=path,
                                  line=number)
        else:
            (current["text"] if current is not None else intro).append(line)
    if fence is not None:
        raise LessonError(f"the block opened with {fence[0]} is never closed", path=path, line=fence[2])
    if title is None:
        raise LessonError("the file is empty: a lesson starts with its title, a '# ' heading", path=path, line=1)
    finish()
    if not steps:
        raise LessonError("the lesson has no steps: each step starts with a '## ' heading", path=path)
    if steps[0].project is None:
        raise LessonError("the first step must open a project (project = \"an example's name\")", path=path,
                          line=steps[0].line)
    return Lesson(path, title, "\n".join(intro).strip(), tuple(steps))


def _settings(step: dict[str, Any] | None, lines: list[str], start: int, path: Path) -> None:
    """Read a step's TOML block; `start` is the file line of its opening fence."""
    assert step is not None  # an opening fence outside a step was refused
    try:
        settings = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = TOML_ERROR_LINE.search(message)
        line = start + int(found.group(1)) if found else start
        raise LessonError(f"the settings are not valid TOML: {TOML_ERROR_LINE.sub('', message).strip()}",
                          path=path, line=line) from None
    step["settings"] = settings
    step["key_lines"] = _key_lines(lines, start)


def _key_lines(lines: list[str], start: int) -> dict[str, int]:
    """File line of each key, so a wrong value is reported where it is written ("predict.of" inside [predict])."""
    found: dict[str, int] = {}
    table = ""
    for offset, line in enumerate(lines, start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([\w.-]+)\s*\]", stripped)
        if header:
            table = header.group(1) + "."
            found.setdefault(header.group(1), start + offset)
            continue
        key = re.match(r"^([\w-]+)\s*=", stripped)
        if key:
            found.setdefault(table + key.group(1), start + offset)
            if stripped[key.end():].lstrip().startswith("{"):  # an inline table: its keys are on this line
                for inner in re.findall(r"([\w-]+)\s*=", stripped[key.end():]):
                    found.setdefault(f"{key.group(1)}.{inner}", start + offset)
    return found


def _build_step(raw: dict[str, Any], path: Path) -> Step:
    settings: dict[str, Any] = raw.get("settings", {})
    lines: dict[str, int] = raw.get("key_lines", {})

    def fail(key: str, message: str) -> LessonError:
        return LessonError(message, path=path, line=lines.get(key, raw["line"]))

    for key in settings:
        if key not in STEP_KEYS:
            raise fail(key, f"unknown setting {key!r}; a step may set {', '.join(STEP_KEYS)}")
    project = settings.get("project")
    if project is not None and not (isinstance(project, str) and project.strip()):
        raise fail("project", "project must be an example's name or a project file's path, in quotes")
    names = {key: _names(settings, key, fail) for key in ("select", "highlight")}
    show, action = settings.get("show"), settings.get("action")
    if show is not None and show not in PANELS:
        raise fail("show", f"show must be one of {', '.join(PANELS)}, not {show!r}")
    if action is not None and action not in ACTIONS:
        raise fail("action", f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    predict = settings.get("predict")
    prediction = None if predict is None else _prediction(predict, fail)
    return Step(raw["title"], "\n".join(raw["text"]).strip(), raw["line"], project, names["select"],
                names["highlight"], show, action, prediction, lines)


def _names(settings: dict[str, Any], key: str, fail: Any) -> tuple[str, ...]:
    value = settings.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise fail(key, f'{key} must be a list of names in quotes, e.g. ["h1", "h1[0]", "in[0] -> h1[0]"]')
    return tuple(value)


def _prediction(predict: Any, fail: Any) -> Prediction:
    from .values import KINDS  # the kinds live with their computation

    if not isinstance(predict, dict):
        raise fail("predict", "predict must be a table: [predict] with value = \"…\" below it")
    for key in predict:
        if key not in PREDICT_KEYS:
            raise fail(f"predict.{key}", f"unknown setting predict.{key}; predict may set {', '.join(PREDICT_KEYS)}")
    kind = predict.get("value")
    if kind not in KINDS:
        raise fail("predict.value", f"predict.value must be one of {', '.join(KINDS)}, not {kind!r}")
    of, needs = predict.get("of"), KINDS[kind]
    if needs and not isinstance(of, str):
        raise fail("predict.of" if "of" in predict else "predict",
                   f"a {kind!r} prediction needs of = \"…\" naming {needs}")
    if not needs and of is not None:
        raise fail("predict.of", f"a {kind!r} prediction is about the whole network: it takes no of = \"…\"")
    through = predict.get("through", [])
    if not (isinstance(through, list) and all(isinstance(t, str) for t in through)):
        raise fail("predict.through", 'through must be a list of neurons, e.g. ["h2[1]", "out[0]"]')
    if through and kind != "path":
        raise fail("predict.through", "through belongs to a \"path\" prediction")
    counts = {}
    for key in ("sample", "output"):
        value = predict.get(key, 0)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise fail(f"predict.{key}", f"predict.{key} must be a whole number ≥ 0, not {value!r}")
        counts[key] = value
    tolerances = {}
    for key, default in (("relative", DEFAULT_RELATIVE), ("absolute", 0.0)):
        value = predict.get(key, default)
        if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")):
            raise fail(f"predict.{key}", f"predict.{key} must be a number ≥ 0, not {value!r}")
        tolerances[key] = float(value)
    return Prediction(kind, of, tuple(through), counts["sample"], counts["output"], tolerances["relative"],
                      tolerances["absolute"])
