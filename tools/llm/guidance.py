"""Fast JSON-schema constrained decoding with llguidance token masks.

llama.cpp's built-in grammar sampler checks the whole vocabulary against a GBNF grammar at
every step (about 6 ms a token for SmolLM2's 49k vocabulary here); llguidance computes the
same mask with a lexer/parser split in well under a millisecond. ``JsonGuide`` compiles a
schema once and hands out a fresh logits processor per generation.
"""

from __future__ import annotations

import json
import logging
import threading

import llguidance
import llguidance.numpy as llg_numpy
import numpy as np
import numpy.typing as npt

from factloom.tools.errors import LLMRequestError
from factloom.tools.llm.profile import SPACED, JsonFormat
from factloom.tools.llm.structured import JsonSchema

log = logging.getLogger(__name__)


class JsonGuide:
    """Compiled schemas for one tokenizer; thread-safe.

    Args:
        tokenizer: llguidance's view of the model's vocabulary (see ``llguidance.llamacpp``).
        n_vocab: the model's vocabulary size (the length of a logits row).
    """

    def __init__(self, tokenizer: llguidance.LLTokenizer, n_vocab: int) -> None:
        self.tokenizer = tokenizer
        self.n_vocab = n_vocab
        self._matchers: dict[tuple[str, JsonFormat], llguidance.LLMatcher] = {}
        self._lock = threading.Lock()

    def processor(self, schema: JsonSchema, layout: JsonFormat = SPACED) -> GuidedLogits:
        """Return a new logits processor that only lets ``schema``-valid JSON in ``layout`` through."""
        key = (json.dumps(schema, sort_keys=True), layout)
        with self._lock:
            pristine = self._matchers.get(key)
            if pristine is None:
                pristine = self._compile(schema, layout)
                self._matchers[key] = pristine
        return GuidedLogits(pristine.deep_copy(), self.n_vocab)

    def _compile(self, schema: JsonSchema, layout: JsonFormat) -> llguidance.LLMatcher:
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, defaults=layout.grammar_options())
        is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar, self.tokenizer)
        if is_error:
            raise LLMRequestError(f"output schema cannot be used for constrained decoding: {messages[0]}")
        for warning in messages:
            log.warning("output schema: %s", warning)
        return llguidance.LLMatcher(self.tokenizer, grammar, log_level=0)


class GuidedLogits:
    """A llama-cpp-python logits processor for one generation.

    It is called once per generated token with all token ids so far; it feeds the tokens it has
    not seen to the matcher, then sets the logits of every token the schema forbids to -inf.
    """

    def __init__(self, matcher: llguidance.LLMatcher, n_vocab: int) -> None:
        self.matcher = matcher
        self.n_vocab = n_vocab
        self._mask = llg_numpy.allocate_token_bitmask(1, n_vocab)
        self._prompt_len: int | None = None
        self._consumed = 0

    def __call__(
        self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
    ) -> npt.NDArray[np.single]:
        """Return ``scores`` with the forbidden tokens masked out."""
        if self._prompt_len is None:
            self._prompt_len = len(input_ids)
        for token in input_ids[self._prompt_len + self._consumed :]:
            self.matcher.consume_token(int(token))
            self._consumed += 1
        if self.matcher.is_error():
            log.warning("constraint stopped: %s", self.matcher.get_error())
            return scores
        llg_numpy.fill_next_token_bitmask(self.matcher, self._mask)
        allowed = np.unpackbits(self._mask.view(np.uint8), bitorder="little")[: self.n_vocab].view(bool)
        scores[~allowed] = -np.inf
        return scores
