"""Training records: which format a JSONL line is in, its training text, its token estimate.

Recognised (SPEC §4 `data`): OpenAI chat `messages` (with `tools`, `weight`), preference pairs
(OpenAI `input`/`preferred_output`/`non_preferred_output`, TRL `chosen`/`rejected` with or
without `prompt`), ShareGPT `conversations`, Alpaca `instruction`/`input`/`output` (with
`history`, `system`), `prompt`/`completion` and plain `text`. Keys outside the training fields
(`id`, `metadata`, ...) are ignored: two records that differ only there are duplicates.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

CHAT_ROLES = frozenset({"system", "user", "assistant", "tool", "function", "developer"})
SHAREGPT_ROLES = frozenset(
    {"system", "human", "user", "gpt", "assistant", "function_call", "observation", "tool"}
)
SHAREGPT_MODEL = frozenset({"gpt", "assistant", "function_call"})
# Chat templates add a few tokens around every message (role markers, separators); OpenAI's
# cookbook counts 3 per message plus 3 to prime the reply.
TOKENS_PER_MESSAGE = 3
SEPARATOR = "\x1f"  # between fields, so ("ab", "c") and ("a", "bc") stay different


def json_type(value: Any) -> str:
    """What JSON calls the type of a parsed value (not Python's name for it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return _JSON_TYPES.get(type(value), type(value).__name__)


_JSON_TYPES = {dict: "an object", list: "an array", str: "text", int: "a number", float: "a number"}


def _same_answer(good: str, bad: str) -> None:
    """A preference pair whose two answers are the same (case and spacing aside) teaches no
    preference: not a usable record."""
    if " ".join(good.casefold().split()) == " ".join(bad.casefold().split()):
        raise Invalid("the preferred and the rejected answer are the same: no preference to learn")


class Invalid(Exception):
    """A record that is not usable as a training example."""


class Record(NamedTuple):
    """What tunewise needs from one valid training record (a tuple: made once a line)."""

    kind: str  # chat, preference, sharegpt, instruction, prompt-completion, text
    text: str  # every training field, in order, joined by SEPARATOR (exact duplicates)
    varying: str  # the same without system prompts (near-duplicates: shared prompts aside)
    output: str  # what the model learns to produce (empty output check)
    messages: int  # turns, for the per-message token overhead


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{what} must be text, got {json_type(value)}")
    return value


def _content(value: Any, what: str) -> str:
    """A chat message's content: text, or a list of parts whose text parts are joined."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, list):
        parts = []
        for index, part in enumerate(value):
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                text = part.get("text", "")
                parts.append(text if isinstance(text, str) else "")
            else:
                raise Invalid(f"{what}[{index}] must be a content part")
        return " ".join(parts)
    raise Invalid(f"{what} must be text or a list of parts, got {json_type(value)}")


def _tool_calls(message: dict[str, Any]) -> str:
    calls = message.get("tool_calls") or message.get("function_call")
    if not calls:
        return ""
    if isinstance(calls, dict):
        calls = [calls]
    if not isinstance(calls, list):
        raise Invalid("'tool_calls' must be a list")
    out = []
    for call in calls:
        function = call.get("function", call) if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise Invalid("a tool call needs a 'function'")
        out.append(f"{function.get('name', '')}({function.get('arguments', '')})")
    return " ".join(out)


def _messages(
    messages: Any, what: str, *, need_user: bool = True, need_assistant: bool = True
) -> tuple[list[str], list[str], str, int]:
    """(all parts, parts without system, last assistant output, count) of a message list."""
    if not isinstance(messages, list) or not messages:
        raise Invalid(f"'{what}' must be a non-empty list of messages")
    parts: list[str] = []
    varying: list[str] = []
    roles = set()
    output = ""
    trained = False
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise Invalid(f"{what}[{index}] needs a 'role'")
        role = message["role"]
        if not isinstance(role, str) or role not in CHAT_ROLES:
            raise Invalid(f"{what}[{index}]: unknown role {str(role)[:20]!r}")
        if "content" not in message and not message.get("tool_calls"):
            raise Invalid(f"{what}[{index}] needs 'content' (or 'tool_calls')")
        body = message.get("content")
        if body.__class__ is not str:  # text is the common case: no call for it
            body = _content(body, f"{what}[{index}].content")
        if role == "assistant":
            calls = _tool_calls(message)
            if calls:
                body = f"{body} {calls}"
            weight = message.get("weight", 1)
            if weight not in (0, 1) or isinstance(weight, bool):
                raise Invalid(f"{what}[{index}].weight must be 0 or 1")
            if weight == 1:
                output, trained = body, True
        parts.append(f"{role}:{body}")
        if role != "system" and role != "developer":
            varying.append(body)
        roles.add(role)
    if need_user and "user" not in roles:
        raise Invalid(f"a chat record needs a 'user' message in '{what}'")
    if not need_assistant:
        return parts, varying, output, len(messages)
    if "assistant" not in roles:
        raise Invalid(f"a chat record needs an 'assistant' message in '{what}'")
    if not trained:
        raise Invalid("every assistant message has weight 0: nothing to learn from")
    return parts, varying, output, len(messages)


def _tools(record: dict[str, Any]) -> str:
    tools = record.get("tools")
    if tools is None:
        return ""
    if not isinstance(tools, list):
        raise Invalid("'tools' must be a list")
    names = []
    for tool in tools:
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(function, dict):
            raise Invalid("each of 'tools' must be an object")
        names.append(str(function.get("name", "")))
    return "tools:" + ",".join(names)


def _side(value: Any, what: str, *, prompt: bool = False) -> tuple[str, int]:
    """A TRL field (prompt, completion, chosen, rejected): text or a list of messages."""
    if isinstance(value, str):
        return value, 1
    if isinstance(value, list):
        parts, _, _, count = _messages(value, what, need_user=prompt, need_assistant=not prompt)
        return SEPARATOR.join(parts), count
    raise Invalid(f"'{what}' must be text or a list of messages")


def _record(kind: str, fields: list[str], varying: list[str], output: str, n: int) -> Record:
    return Record(kind, SEPARATOR.join(fields), SEPARATOR.join(varying), output, n)


def classify(record: Any) -> Record:
    """The training content of a parsed JSONL line, or raise Invalid saying why."""
    if not isinstance(record, dict):
        raise Invalid(f"expected a JSON object, got {json_type(record)}")
    if "messages" in record:
        parts, varying, output, count = _messages(record["messages"], "messages")
        tools = _tools(record)
        return _record("chat", [tools, *parts] if tools else parts, varying, output, count)
    if "preferred_output" in record or "non_preferred_output" in record:
        source = record.get("input")
        if not isinstance(source, dict) or "messages" not in source:
            raise Invalid("a preference record needs 'input' with 'messages'")
        # the prompt: the answers to prefer come after it, so it needs no assistant turn
        context, varying, _, count = _messages(
            source["messages"], "input.messages", need_assistant=False
        )
        good = _messages_output(record.get("preferred_output"), "preferred_output")
        bad = _messages_output(record.get("non_preferred_output"), "non_preferred_output")
        _same_answer(good, bad)
        fields = [*context, "chosen:" + good, "rejected:" + bad]
        return _record("preference", fields, [*varying, good, bad], good, count + 2)
    if "chosen" in record or "rejected" in record:
        if "chosen" not in record or "rejected" not in record:
            raise Invalid("a preference record needs both 'chosen' and 'rejected'")
        prompt, n_prompt = (
            _side(record["prompt"], "prompt", prompt=True) if "prompt" in record else ("", 0)
        )
        good, n_good = _side(record["chosen"], "chosen")
        bad, n_bad = _side(record["rejected"], "rejected")
        _same_answer(good, bad)
        fields = [prompt, "chosen:" + good, "rejected:" + bad]
        return _record("preference", fields, fields, good, n_prompt + n_good + n_bad)
    if "conversations" in record:
        return _sharegpt(record)
    if "instruction" in record and "output" in record:
        fields = [_text(record["instruction"], "'instruction'")]
        if "input" in record:
            fields.append(_text(record["input"], "'input'"))
        history = record.get("history") or []
        if not isinstance(history, list):
            raise Invalid("'history' must be a list of [instruction, response] pairs")
        turns = []
        for index, pair in enumerate(history):
            if not (isinstance(pair, list) and len(pair) == 2):
                raise Invalid(f"history[{index}] must be an [instruction, response] pair")
            turns += [
                _text(pair[0], f"history[{index}][0]"),
                _text(pair[1], f"history[{index}][1]"),
            ]
        output = _text(record["output"], "'output'")
        system = _text(record.get("system") or "", "'system'")
        varying = [*turns, *fields, output]
        return _record("instruction", [system, *varying], varying, output, len(turns) + 2)
    if "prompt" in record and "completion" in record:
        prompt, n_prompt = _side(record["prompt"], "prompt", prompt=True)
        output, n_out = _side(record["completion"], "completion")
        return _record(
            "prompt-completion", [prompt, output], [prompt, output], output, n_prompt + n_out
        )
    if "text" in record:
        text = _text(record["text"], "'text'")
        return Record("text", text, text, text, 1)
    keys = ", ".join(sorted(map(str, record))[:6])
    raise Invalid(
        f"unrecognised record (keys: {keys}); expected messages, conversations, "
        "instruction/output, prompt/completion, chosen/rejected, preferred_output or text"
    )


def _messages_output(value: Any, what: str) -> str:
    if not isinstance(value, list) or not value:
        raise Invalid(f"'{what}' must be a non-empty list of assistant messages")
    parts = []
    for index, message in enumerate(value):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            raise Invalid(f"{what}[{index}] must be an assistant message")
        parts.append(_content(message.get("content"), f"{what}[{index}].content"))
    return " ".join(parts)


def _sharegpt(record: dict[str, Any]) -> Record:
    turns = record["conversations"]
    if not isinstance(turns, list) or not turns:
        raise Invalid("'conversations' must be a non-empty list")
    parts, varying = [], []
    output = ""
    for index, turn in enumerate(turns):
        if not isinstance(turn, dict) or "from" not in turn or "value" not in turn:
            raise Invalid(f"conversations[{index}] needs 'from' and 'value'")
        speaker = turn["from"]
        if not isinstance(speaker, str) or speaker not in SHAREGPT_ROLES:
            raise Invalid(f"conversations[{index}]: unknown speaker {str(speaker)[:20]!r}")
        value = _text(turn["value"], f"conversations[{index}].value")
        parts.append(f"{speaker}:{value}")
        if speaker != "system":
            varying.append(value)
        if speaker in SHAREGPT_MODEL:
            output = value
    if not any(t["from"] in SHAREGPT_MODEL for t in turns):
        raise Invalid("a ShareGPT record needs a 'gpt' turn")
    system = record.get("system")
    if isinstance(system, str) and system:
        parts.insert(0, f"system:{system}")
    tools = record.get("tools")
    if isinstance(tools, str) and tools:
        parts.insert(0, f"tools:{tools}")
    return _record("sharegpt", parts, varying, output, len(turns))


# The labels classify puts before a field ("assistant:", "chosen:", ...): the spaces after one
# are the field's leading spaces, so normalising drops them too.
_LABELS = CHAT_ROLES | SHAREGPT_ROLES | {"chosen", "rejected", "tools"}
_LABEL = re.compile(r"(?:" + "|".join(sorted(_LABELS)) + r"):\s*")
# A word made of labels only (case folded, UTF-8): the whitespace after it, at a field's start,
# is dropped by normalise.
LABEL_RUN = re.compile(rb"(?:(?:" + "|".join(sorted(_LABELS)).encode() + rb"):)+")
# A field opening with labels, the last followed by whitespace: normalise drops it.
LABEL_SPACE = re.compile(r"(?:(?:" + "|".join(sorted(_LABELS)) + r"):)+\s")


def _normalise_field(field: str) -> str:
    words = " ".join(field.casefold().split())
    labels = []
    while (label := _LABEL.match(words)) is not None:
        labels.append(label.group().rstrip())
        words = words[label.end() :]
    return "".join(labels) + words


def normalise(text: str) -> str:
    """Field by field: case folded, whitespace runs collapsed, ends stripped (after a field's
    label too): what "the same record" means for exact duplicates. The definition: `data`
    computes the same for a batch at once with numpy (sketches.exact_keys; a test holds the
    two equal)."""
    return SEPARATOR.join(map(_normalise_field, text.split(SEPARATOR)))


def estimate_tokens(text: str, messages: int) -> int:
    """Tokens of a record, estimated without a tokenizer.

    About 4 characters a token for ASCII text (the rule of thumb OpenAI and Anthropic publish
    for English), one token per other character (accented letters, CJK and emoji cost one to
    three tokens each in BPE vocabularies), plus TOKENS_PER_MESSAGE a message."""
    if text.isascii():
        base = (len(text) + 3) // 4
    else:
        extra = len(text.encode("utf-8", "surrogatepass")) - len(text)
        wide = min(len(text), (extra + 1) // 2)  # characters beyond ASCII, about
        base = (len(text) - wide + 3) // 4 + wide
    return base + TOKENS_PER_MESSAGE * messages
