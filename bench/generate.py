"""A deterministic synthetic news-quote archive in Quotebank's quotation-centric JSON lines.

    python bench/generate.py OUT.jsonl [--n 1000000] [--seed 8]

Writes OUT.jsonl and OUT.meta.json (planted search terms, the most prolific speaker, an export
window). The same N and seed always give the same bytes, so benchmark runs compare like with like.

Shape, chosen to behave like news quotes:
- Zipf-distributed vocabulary (a few hundred real English words at the head, then English-ish
  coined words), 10-40 words a quote;
- planted search terms: rare ones (about 20 quotes each at 1M), medium ones (0.1%) and common
  ones (3% of the archive);
- about 20,000 speakers at 1M (scaled down with N, never below 60) with Wikidata-style QIDs and a
  Zipf-like share, so a few are very prolific;
- a few thousand publishers (hosts), one to three URLs a quote, pairs of quotes sharing an article;
- dates uniformly spread from September 2008 to October 2026.
"""

import argparse
import datetime as dt
import itertools
import random
import sys
import time
from pathlib import Path

import orjson


def _words(text: str) -> list[str]:
    return text.split()


HEAD_WORDS = _words(
    """
the of and to a in that is was he for it with as his on be at by i this had not are but from or have
an they which one you were her all she there would their we him been has when who will more no if
out so said what up its about into than them can only other new some could time these two may then
do first any my now such like our over man me even most made after also did many before must through
back years where much your way well down should because each just those people how too little state
good very make world still own see men work long get here between both life being under never day
same another know while last might us great old year off come since against go came right used take
three states himself few house use during without again place american around however home small
found thought went say part once general high upon school every does got united left number course
war until always away something fact though water less public put think almost hand enough far took
head yet government system better set told nothing night end why called didn't eyes find going look
asked later knew point next program city business give group toward young days let room president
side social given present several order national possible rather second face per among form
important often things looked early white case john become large big need four within felt children
along saw best church ever least power development light thing seemed family interest want members
mind country area others done turned although open god service certain kind problem began different
door thus help sense means whole matter perhaps itself york it's times law human line above name
example action company hands local show whether five history gave today either act feet across taken
past quite anything seen having death week experience body word half really field am car words
already themselves information tell together college shall money period held keep sure probably free
seems political real behind clear economy market election minister policy vote voters campaign
leaders country's security health crisis reform budget taxes border climate energy workers jobs
families deal talks sanctions trade growth court justice rights police officers
"""
)

SYLLABLES = _words(
    """
ba be bi bo bu ca ce co cu da de di do du fa fe fi fo ga ge go ha he hi ho la le li lo lu ma me mi
mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo bra bre
cra cre dra dre fra gra gri pra pre pro tra tre tri stra spe sta sti sto ple pla cla cle con com dis
pre ver mer ter per ser tor lor nor mon ton son ran lan san tan ven ben den men pen
"""
)
ENDINGS = _words("tion ment ness ing ed er ly al ous ive ist ism ity ance ence able ful less ship hood ure")

# Planted terms: not words the vocabulary can produce (they contain letters the syllables never use
# together), so their frequency is exactly what is planted.
RARE_TERMS = [
    "zyxquorbital",
    "kwazulmarine",
    "xylophrastic",
    "quozzlewick",
    "jaxterquill",
    "vroomfondle",
    "zorbithian",
    "quimblebrook",
    "xanthoquell",
    "jubjubwhirl",
]
MEDIUM_TERMS = ["obfusquant", "kryptozoan", "wizzlebeck", "quaxorium", "zephyquist"]
COMMON_TERMS = ["infrastructurewise", "kwaltagrant", "zenqualform"]

FIRST_NAMES = _words(
    """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony
Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth
Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie Edward Rebecca
Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley
Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole Brandon Helen Benjamin Samantha
Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick Carolyn Raymond Janet Jack
Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth José Olivia Miguel Ana Sofía Luis María
Jürgen Zoë Renée François Søren Ángela Björn Inés Chloé Mehmet Ayşe Łukasz Nuño Amélie Dmitri Oksana
Hiroshi Yuki Priya Arjun Wei Mei Kwame Amara Thabo Nkechi Fatima Omar Layla Youssef Hana Min-jun
Seo-yeon
"""
)
LAST_NAMES = _words(
    """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams
Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker
Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper
Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James
Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jiménez
Díaz-Canel Müller Schäfer Öztürk Nowak Kowalski Dubois Lefèvre García-Márquez Sørensen Håkansson
Okonkwo Mensah Abubakar Haddad Nasser Khan Singh Sharma Tanaka Suzuki Watanabe Chen Wang Zhang Liu
Park Choi Ivanov Petrenko Kovač Novák Horváth Papadopoulos Rossi Bianchi Ferreira Santos Oliveira
Costa
"""
)
ROLES = [
    "",
    "",
    "",
    "President",
    "Prime Minister",
    "Senator",
    "Minister of Finance",
    "spokesperson",
    "chief executive",
    "coach",
    "Governor",
    "Mayor",
    "professor of economics",
    "party leader",
]
TLDS = [
    "com",
    "com",
    "com",
    "co.uk",
    "org",
    "net",
    "de",
    "fr",
    "com.au",
    "ca",
    "in",
    "ie",
    "es",
    "it",
    "news",
]
PHASES = [(2008, "A"), (2009, "B"), (2011, "C"), (2013, "D"), (2015, "E"), (2020, "F")]
FIRST_DAY = dt.date(2008, 9, 1)
LAST_DAY = dt.date(2026, 10, 31)
CHUNK = 20_000


def scaled(n: int, at_million: int, minimum: int) -> int:
    return max(minimum, round(at_million * n / 1_000_000))


def build_vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(dict.fromkeys(HEAD_WORDS))
    seen = set(words)
    while len(words) < size:
        parts = rng.choices(SYLLABLES, k=rng.choice((1, 2, 2, 2, 3, 3, 4)))
        word = "".join(parts)
        if rng.random() < 0.4:
            word += rng.choice(ENDINGS)
        if len(word) > 2 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_cum_weights(count: int, exponent: float, offset: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank + offset) ** exponent for rank in range(count)))


def build_speakers(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(name, qid, role): unique names, unique QIDs."""
    names: list[str] = []
    seen: set[str] = set()
    middle = iter(f"{chr(65 + i % 26)}." for i in range(10**7))
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name in seen:
            name = f"{name.split(' ', 1)[0]} {next(middle)} {name.split(' ', 1)[1]}"
            if name in seen:
                continue
        seen.add(name)
        names.append(name)
    qids = rng.sample(range(1_000, 120_000_000), count)
    return [(name, f"Q{qid}", rng.choice(ROLES)) for name, qid in zip(names, qids, strict=True)]


def build_hosts(rng: random.Random, count: int, vocabulary: list[str]) -> list[str]:
    hosts: list[str] = []
    seen: set[str] = set()
    pool = [word for word in vocabulary[200:5000] if word.isalpha()]  # host names: letters only
    while len(hosts) < count:
        stem = rng.choice(pool) + rng.choice(["", "", "news", "times", "post", "daily", "herald", "tribune"])
        host = f"{rng.choice(['www.', 'www.', '', 'news.'])}{stem}.{rng.choice(TLDS)}"
        if host not in seen:
            seen.add(host)
            hosts.append(host)
    return hosts


def phase_for(year: int) -> str:
    phase = "A"
    for start, name in PHASES:
        if year >= start:
            phase = name
    return phase


def sentence(words: list[str], rnd) -> str:
    words[0] = words[0][:1].upper() + words[0][1:]
    if len(words) > 5 and rnd() < 0.6:
        at = 2 + int(rnd() * (len(words) - 4))
        words[at] += ","
    text = " ".join(words)
    roll = rnd()
    if roll < 0.08:
        return text + "?"
    if roll < 0.12:
        return text.replace("it's", "it\u2019s").replace("didn't", "didn\u2019t") + "."
    return text + "."


def generate(out: Path, n: int, seed: int = 8) -> dict:
    rng = random.Random(seed)
    vocabulary = build_vocabulary(rng, 40_000)
    word_weights = zipf_cum_weights(len(vocabulary), 1.07, offset=2.0)
    speakers = build_speakers(rng, scaled(n, 20_000, 60))
    speaker_weights = zipf_cum_weights(len(speakers), 1.0, offset=10.0)
    hosts = build_hosts(rng, scaled(n, 3_000, 40), vocabulary)
    slugs = [word for word in vocabulary[100:9100] if word.isalpha()]
    host_weights = zipf_cum_weights(len(hosts), 0.9, offset=5.0)
    days = (LAST_DAY - FIRST_DAY).days + 1
    calendar = []
    for offset in range(days):
        day = FIRST_DAY + dt.timedelta(days=offset)
        calendar.append((f"{day:%Y-%m-%d}", f"{day:%Y/%m/%d}", f"{day:%Y/%m}", phase_for(day.year)))
    clock = [f"{h:02d}:{m:02d}:00" for h in range(24) for m in range(60)]

    planted: dict[int, list[str]] = {}

    def plant(term: str, count: int) -> int:
        for index in rng.sample(range(n), count):
            planted.setdefault(index, []).append(term)
        return count

    terms = {
        "rare": {t: plant(t, scaled(n, 20, 3)) for t in RARE_TERMS},
        "medium": {t: plant(t, scaled(n, 1_000, 20)) for t in MEDIUM_TERMS},
        "common": {t: plant(t, max(1, round(0.03 * n))) for t in COMMON_TERMS},
    }

    speaker_counts = [0] * len(speakers)
    day_counts = [0] * days
    rnd = rng.random
    randrange = rng.randrange
    partial = out.with_suffix(".partial")
    with partial.open("wb") as handle:
        for start in range(0, n, CHUNK):
            size = min(CHUNK, n - start)
            lengths = [10 + min(30, int(rng.expovariate(1 / 9))) for _ in range(size)]
            drawn = rng.choices(vocabulary, cum_weights=word_weights, k=sum(lengths))
            who = rng.choices(range(len(speakers)), cum_weights=speaker_weights, k=size)
            where = rng.choices(hosts, cum_weights=host_weights, k=size * 3)
            lines = []
            position = 0
            for offset in range(size):
                index = start + offset
                words = drawn[position : position + lengths[offset]]
                position += lengths[offset]
                for term in planted.get(index, ()):
                    words.insert(randrange(1, len(words)), term)
                # Pairs of quotes come from the same article: same day, same first URL.
                article = index // 2
                day_index = (article * 7919) % days
                day_counts[day_index] += 1
                iso, ymd, ym, phase = calendar[day_index]
                speaker_index = who[offset]
                speaker_counts[speaker_index] += 1
                name = speakers[speaker_index][0]
                probability = 0.5 + 0.49 * rnd()
                roll = rnd()
                url_count = 1 if roll < 0.4 else (2 if roll < 0.8 else 3)
                urls = [f"https://{where[3 * offset]}/{ymd}/{slugs[article % len(slugs)]}-{article}"]
                for k in range(1, url_count):
                    urls.append(f"https://{where[3 * offset + k]}/{ym}/{index}-{k}.html")
                record = {
                    "quoteID": f"{iso}-{index:07d}",
                    "quotation": sentence(words, rnd),
                    "speaker": name,
                    "qids": [speakers[speaker_index][1]],
                    "date": f"{iso} {clock[int(rnd() * 1440)]}",
                    "numOccurrences": url_count + (int(rnd() * 4) if roll > 0.9 else 0),
                    "probas": [[name, f"{probability:.4f}"], ["None", f"{1 - probability:.4f}"]],
                    "urls": urls,
                    "phase": phase,
                }
                lines.append(orjson.dumps(record))
            handle.write(b"\n".join(lines) + b"\n")

    top = max(range(len(speakers)), key=speaker_counts.__getitem__)
    # The export window: the latest days holding about 100,000 quotes (everything when N is smaller).
    export_from, running = FIRST_DAY, 0
    for day_index in range(days - 1, -1, -1):
        running += day_counts[day_index]
        if running >= 100_000:
            export_from = FIRST_DAY + dt.timedelta(days=day_index)
            break
    meta = {
        "n": n,
        "seed": seed,
        "speakers": len(speakers),
        "hosts": len(hosts),
        "terms": terms,
        "top_speaker": {"name": speakers[top][0], "qid": speakers[top][1], "quotes": speaker_counts[top]},
        "first_day": FIRST_DAY.isoformat(),
        "last_day": LAST_DAY.isoformat(),
        "export": {"said_after": export_from.isoformat(), "quotes": min(running, n)},
    }
    out.with_suffix(".meta.json").write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    partial.rename(out)  # only a finished file carries the final name
    return meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    meta = generate(args.out, args.n, args.seed)
    elapsed = time.perf_counter() - started
    print(
        f"generated {args.n:,} quotes ({meta['speakers']:,} speakers, {meta['hosts']:,} hosts) "
        f"in {elapsed:.1f}s -> {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
