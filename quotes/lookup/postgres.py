"""Lookup on PostgreSQL: candidates from the full-text index, ranked by pg_trgm word_similarity.

The trigram index answers `fragment <% search_text` only after reading the posting lists of
every trigram of the fragment, common words included: ~250 ms per fragment at a million quotes,
seconds for a fragment of common words, before any LIMIT applies. Instead the candidates come
from the tsvector GIN index (quote_search_vector_idx): quotes holding all but one (then all but
two, then all but three) of the fragment's rarest words. A misspelt word matches nothing, and is
simply the word left out. GIN's fast scan reads the rarest words' posting lists and skips through
the common ones, so a fragment costs a few milliseconds however common its words, and the handful
of candidates found are ranked by word_similarity as before.

How rare a word is comes from the statistics ANALYZE keeps for the tsvector column (pg_stats'
most common elements, about the 1,000 most frequent words with their frequencies), read once per
process every few minutes: a word not listed is rarer than every listed one.
"""

from itertools import combinations

from django.db import OperationalError, connections, transaction
from psycopg.errors import QueryCanceled

from quotes.lookup.base import LookupBackend, LookupHit, has_repeated_words, repeats_found
from quotes.search.query import TOKEN
from quotes.search.statistics import WordFrequencies

# The inner LIMIT bounds the work when many quotes hold the chosen words (a fragment of only
# common words, which nearly every quote resembles); `found` says whether it was reached. Ties
# (a fragment wholly inside several quotes) go to the quote closest to it as a whole. The text
# comes back for a fragment that repeats a word: its score is then scaled in Python
# (repeats_found), so the outer LIMIT is raised to every candidate for that fragment.
LOOKUP_SQL = """
    SELECT id, search_text, word_similarity(%(fragment)s, search_text) AS score,
           similarity(%(fragment)s, search_text) AS whole, count(*) OVER () AS found
    FROM (
        SELECT id, search_text FROM quotes_quote
        WHERE search_vector @@ {condition} AND status = 'published'
        LIMIT %(candidates)s
    ) AS candidates
    ORDER BY score DESC, whole DESC, id
    LIMIT %(limit)s
"""
WORDS_CONDITION = "%(tsquery)s::tsquery"
# The same words, and a run of the fragment's common words in the order typed (PostgreSQL's own
# parser makes the phrase, as it made the index): for a fragment of mostly common words.
PHRASE_CONDITION = "(%(tsquery)s::tsquery && phraseto_tsquery('simple'::regconfig, %(phrase)s))"


def at_least(words: list[str], count: int) -> str:
    """A tsquery true for a text holding at least `count` of `words` (plain lexemes)."""
    quoted = [f"'{w}'" for w in words]  # tokens are letters and digits only: no quoting issue
    count = max(1, min(count, len(words)))
    if count == len(words):
        return " & ".join(quoted)
    if count == 1:
        return " | ".join(quoted)
    return " | ".join("(" + " & ".join(c) + ")" for c in combinations(quoted, count))


class PostgresLookupBackend(LookupBackend):
    #: word_similarity a quote must reach: a 6–12 word fragment with a typo or a missing word
    #: scores 0.6–0.9 against its quote; unrelated quotes sharing a few words stay below 0.5.
    THRESHOLD = 0.5
    #: candidates scored per attempt, at most.
    MAX_CANDIDATES = 200
    #: the fragment's rarest words the candidates are chosen by.
    MAX_WORDS = 6
    #: words in more than this share of quotes are left out of the chosen ones while at least
    #: MIN_WORDS rarer words remain: they would select little and cost the most to read.
    COMMON = 0.05
    MIN_WORDS = 4
    #: words of the chosen ones a quote may lack (misspelt, misremembered), tried in turn.
    TOLERANCE = (1, 2, 3)
    #: common words in a row that make a phrase worth asking for, if the share of quotes
    #: expected to hold them all (their frequencies multiplied) is at most PHRASE_MAX_SHARE.
    PHRASE_WORDS = 3
    PHRASE_MAX_SHARE = 0.01
    #: no single statement of a lookup runs longer (a fragment of only the commonest words).
    STATEMENT_TIMEOUT_MS = 150

    def words(self, fragment: str) -> list[str]:
        """The fragment's distinct words, rarest first (longer first among unlisted ones)."""
        frequencies = WordFrequencies.get(self.using)
        distinct = list(dict.fromkeys(TOKEN.findall(fragment)))
        distinct.sort(key=lambda w: (frequencies.get(w, 0.0), -len(w)))
        chosen = distinct[: self.MAX_WORDS]
        while len(chosen) > self.MIN_WORDS and frequencies.get(chosen[-1], 0.0) > self.COMMON:
            chosen.pop()
        return chosen

    def common_run(self, fragment: str) -> str:
        """The longest run of PHRASE_WORDS or more consecutive common (listed) words, as typed,
        if quotes holding all its words are expected to be few; else ""."""
        frequencies = WordFrequencies.get(self.using)
        best, run = "", []
        for match in [*TOKEN.finditer(fragment), None]:
            if match is not None and match.group() in frequencies:
                run.append(match)
                continue
            share = 1.0
            for word in {m.group() for m in run}:
                share *= frequencies[word]
            if len(run) >= self.PHRASE_WORDS and share <= self.PHRASE_MAX_SHARE:
                best = max(best, fragment[run[0].start() : run[-1].end()], key=len)
            run = []
        return best

    def candidates(self, cursor, condition: str, params: dict) -> tuple[list[tuple], bool]:
        """(-score, -whole, id) of the quotes above the threshold, best first, and whether the
        candidate LIMIT was reached."""
        cursor.execute(LOOKUP_SQL.format(condition=condition), params)
        rows = cursor.fetchall()
        saturated = bool(rows) and rows[0][4] >= self.MAX_CANDIDATES
        if has_repeated_words(params["fragment"]):
            # word_similarity compares trigram sets: "the the the the" is 1.0 against any "the".
            rows = [
                (pk, text, score * repeats_found(params["fragment"], text), *rest)
                for pk, text, score, *rest in rows
            ]
        hits = [(-score, -whole, pk) for pk, _, score, whole, _ in rows if score >= self.THRESHOLD]
        return hits, saturated

    def find(self, fragment: str, *, limit: int) -> list[LookupHit]:
        words = self.words(fragment)
        if not words:
            return []
        found: set[tuple] = set()
        connection = connections[self.using]
        try:
            with transaction.atomic(using=self.using), connection.cursor() as cursor:
                # A hard bound on a pathological fragment: what was found before it is kept.
                cursor.execute(f"SET LOCAL statement_timeout = {int(self.STATEMENT_TIMEOUT_MS)}")
                self.search(cursor, fragment, words, limit=limit, found=found)
                cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
        except OperationalError as error:
            if not isinstance(error.__cause__, QueryCanceled):
                raise
        return [LookupHit(pk, round(float(-score), 4)) for score, _, pk in sorted(found)[:limit]]

    def search(self, cursor, fragment: str, words: list[str], *, limit: int, found: set) -> None:
        """Ask with fewer and fewer of the chosen words required, until something is close enough."""
        phrase = self.common_run(fragment)
        tried = set()
        for missing in self.TOLERANCE:
            # A short fragment keeps at least two words (one for a single-word fragment).
            required = max(len(words) - missing, min(2, len(words)))
            if required in tried:
                continue
            tried.add(required)
            params = {
                "fragment": fragment,
                "tsquery": at_least(words, required),
                "candidates": self.MAX_CANDIDATES,
                "limit": self.MAX_CANDIDATES if has_repeated_words(fragment) else limit,
            }
            hits, saturated = self.candidates(cursor, WORDS_CONDITION, params)
            found.update(hits)
            if saturated and phrase:
                # Too many quotes hold these words for the LIMIT to be sure of keeping the right
                # one: look among those that also hold the fragment's common words in order.
                hits, _ = self.candidates(cursor, PHRASE_CONDITION, {**params, "phrase": phrase})
                found.update(hits)
                phrase = ""  # once is enough: the next attempts only require fewer rare words
            if found:
                return
