"""Keel's /v1/chat/completions through the official `openai` Python client, as a Python user calls it.

Run by test/e2e/chat-clients.test.ts with the venv test/clients/install-python-openai.sh makes.
Reads KEEL_BASE_URL (ending in /v1), KEEL_API_KEY, KEEL_MODEL_OK, KEEL_MODEL_CUT, KEEL_MODEL_JSON,
KEEL_MODEL_UNKNOWN and KEEL_PROMPT from the environment; prints one JSON line of what it saw.
Every check runs even when an earlier one fails; the test asserts on the results.
"""

import json
import os
import sys
import traceback

import openai

env = os.environ
client = openai.OpenAI(base_url=env["KEEL_BASE_URL"], api_key=env["KEEL_API_KEY"], max_retries=0)
messages = [{"role": "user", "content": env["KEEL_PROMPT"]}]


def error_of(e: BaseException) -> dict:
    """What a Python caller reads of an exception."""
    return {
        "class": type(e).__name__,
        "is_api_error": isinstance(e, openai.APIError),
        "status": getattr(e, "status_code", None),
        "code": getattr(e, "code", None),
        "message": str(e)[:300],
    }


def usage_of(usage) -> dict | None:
    return None if usage is None else usage.model_dump(include={"prompt_tokens", "completion_tokens", "total_tokens"})


def plain() -> dict:
    completion = client.chat.completions.create(model=env["KEEL_MODEL_OK"], messages=messages)
    choice = completion.choices[0]
    return {
        "object": completion.object,
        "model": completion.model,
        "text": choice.message.content,
        "finish_reason": choice.finish_reason,
        "usage": usage_of(completion.usage),
    }


def streamed(model: str) -> dict:
    """Iterate a stream as a user would: deltas, the finish, the usage chunk; or what it raised."""
    deltas: list[str] = []
    finish_reason = None
    usage = None
    chunks = 0
    try:
        stream = client.chat.completions.create(
            model=model, messages=messages, stream=True, stream_options={"include_usage": True}
        )
        for chunk in stream:
            chunks += 1
            if chunk.usage is not None:
                usage = usage_of(chunk.usage)
            for choice in chunk.choices:
                deltas.append(choice.delta.content or "")
                finish_reason = choice.finish_reason or finish_reason
        error = None
    except Exception as e:  # noqa: BLE001 — the test asserts on which class it was
        error = error_of(e)
    return {
        "chunks": chunks,
        "deltas": len([d for d in deltas if d]),
        "text": "".join(deltas),
        "finish_reason": finish_reason,
        "usage": usage,
        "error": error,
    }


def structured() -> dict:
    completion = client.chat.completions.create(
        model=env["KEEL_MODEL_JSON"],
        messages=[{"role": "user", "content": "Give me a greeting."}],
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "greeting",
                "strict": True,
                "schema": {
                    "type": "object",
                    "properties": {
                        "greeting": {"type": "string"},
                        "count": {"type": "integer", "minimum": 2},
                    },
                    "required": ["greeting", "count"],
                    "additionalProperties": False,
                },
            },
        },
    )
    content = completion.choices[0].message.content
    return {"model": completion.model, "content": content, "value": json.loads(content)}


def unknown_model() -> dict:
    try:
        client.chat.completions.create(model=env["KEEL_MODEL_UNKNOWN"], messages=messages)
    except Exception as e:  # noqa: BLE001
        return {"raised": error_of(e), "is_not_found": isinstance(e, openai.NotFoundError)}
    return {"raised": None, "is_not_found": False}


def attempt(check) -> dict:
    try:
        return check()
    except Exception as e:  # noqa: BLE001 — reported, so the test shows what failed
        return {"failed": error_of(e), "trace": traceback.format_exc()[-1500:]}


results = {
    "openai_version": openai.__version__,
    "plain": attempt(plain),
    "stream": attempt(lambda: streamed(env["KEEL_MODEL_OK"])),
    "json": attempt(structured),
    "unknown_model": attempt(unknown_model),
    "cut": attempt(lambda: streamed(env["KEEL_MODEL_CUT"])),
}
sys.stdout.write(json.dumps(results) + "\n")
