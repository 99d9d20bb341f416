/* The everyday Quotebank record, checked and laid out as COPY rows, in C.
 *
 * An optional accelerator for quotes/importing/quotebank.py (`quotebank_prepared`): it takes the
 * dict orjson made of one line and returns what the Python code would, for the records it can
 * prove are ordinary (ASCII text without control characters or backslashes, a "YYYY-MM-DD" or
 * "YYYY-MM-DD HH:MM:SS" date in the past, a probability given as text, plain http(s) URLs without
 * port, query or fragment). For anything else it returns None and the Python code decides, so
 * every rejection and every unusual record keeps exactly one implementation. A differential test
 * (tests/quotes/test_import_speedups.py) holds the two to byte-identical output.
 *
 * Built by setup.py when a C compiler is there (optional: without one the import is pure Python).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------------- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) |
               (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; k = h[7];
    for (i = 0; i < 64; i++) {
        t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static void sha256(const unsigned char *data, size_t n, unsigned char out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    unsigned char tail[128];
    size_t full = n & ~(size_t)63, rest = n - full, tail_len;
    uint64_t bits = (uint64_t)n * 8;
    size_t i;
    for (i = 0; i < full; i += 64)
        sha256_block(h, data + i);
    memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
    memset(tail + rest + 1, 0, tail_len - rest - 1);
    for (i = 0; i < 8; i++)
        tail[tail_len - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha256_block(h, tail);
    if (tail_len == 128)
        sha256_block(h, tail + 64);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(h[i] >> 8);
        out[4 * i + 3] = (unsigned char)h[i];
    }
}

static const char HEX[] = "0123456789abcdef";

/* The hex digest into `hex` (64 characters), and hash_key(hex): its first 128 bits as an int. */
static PyObject *digest(const char *data, Py_ssize_t n, char *hex)
{
    unsigned char raw[32];
    int i;
    sha256((const unsigned char *)data, (size_t)n, raw);
    for (i = 0; i < 32; i++) {
        hex[2 * i] = HEX[raw[i] >> 4];
        hex[2 * i + 1] = HEX[raw[i] & 15];
    }
    return _PyLong_FromByteArray(raw, 16, 0, 0);
}

/* ---- A growing byte buffer (everything written is ASCII) ------------------------------------ */

typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Buf;

static int buf_put(Buf *b, const char *s, Py_ssize_t n)
{
    if (b->len + n > b->cap) {
        Py_ssize_t cap = (b->len + n) * 2 + 256;
        char *data = PyMem_Realloc(b->data, (size_t)cap);
        if (!data) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

#define PUT(b, s, n) do { if (buf_put((b), (s), (n)) < 0) goto error; } while (0)
#define PUTS(b, s) PUT((b), (s), (Py_ssize_t)strlen(s))

/* ---- Checks ---------------------------------------------------------------------------------- */

/* An ASCII str's characters, or NULL (not a str, or not ASCII). */
static const char *ascii_of(PyObject *value, Py_ssize_t *n)
{
    if (!PyUnicode_CheckExact(value) || !PyUnicode_IS_ASCII(value))
        return NULL;
    *n = PyUnicode_GET_LENGTH(value);
    return (const char *)PyUnicode_DATA(value);
}

/* Printable ASCII (space to '~') and no backslash: nothing COPY would read differently, nothing
 * str.split or NFKC would treat unlike a space-separated word. */
static int printable_no_backslash(const char *s, Py_ssize_t n)
{
    Py_ssize_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '\\')
            return 0;
    }
    return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int two(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS", a real day not after `today` ("YYYY-MM-DD"). */
static int plain_past_date(const char *s, Py_ssize_t n, const char *today)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year, month, day, limit, i;
    if (n != 10 && n != 19)
        return 0;
    for (i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : !is_digit(s[i]))
            return 0;
    year = two(s) * 100 + two(s + 2);
    month = two(s + 5);
    day = two(s + 8);
    if (year < 1 || month < 1 || month > 12 || day < 1)
        return 0;
    limit = days[month - 1];
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        limit = 29;
    if (day > limit)
        return 0;
    if (n == 19) {
        if (s[10] != ' ' || s[13] != ':' || s[16] != ':')
            return 0;
        for (i = 11; i < 19; i++)
            if (i != 13 && i != 16 && !is_digit(s[i]))
                return 0;
        if (two(s + 11) > 23 || two(s + 14) > 59 || two(s + 17) > 59)
            return 0;
    }
    return memcmp(s, today, 10) <= 0;
}

static int host_char(char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; }

/* records._plain_host for a lower-cased host: dotted labels of [a-z0-9-] (not starting or ending
 * with '-', at most 63), the last of two to 63 letters. */
static int plain_host(const char *h, Py_ssize_t n)
{
    Py_ssize_t start = 0, i, last_dot = -1;
    if (n > 253)
        return 0;
    for (i = 0; i < n; i++)
        if (h[i] == '.')
            last_dot = i;
    if (last_dot < 1 || n - last_dot - 1 < 2 || n - last_dot - 1 > 63)
        return 0;
    for (i = last_dot + 1; i < n; i++)
        if (!(h[i] >= 'a' && h[i] <= 'z'))
            return 0;
    while (start <= last_dot) { /* each label up to and including the last dot */
        Py_ssize_t end = start;
        while (h[end] != '.')
            end++;
        if (end == start || end - start > 63 || h[start] == '-' || h[end - 1] == '-')
            return 0;
        for (i = start; i < end; i++)
            if (!host_char(h[i]))
                return 0;
        start = end + 1;
    }
    return 1;
}

/* ---- The record ------------------------------------------------------------------------------ */

static PyObject *K_QUOTATION, *K_SPEAKER, *K_QIDS, *K_DATE, *K_PROBAS, *K_URLS, *K_QUOTE_ID, *S_STRIP, *S_NONE;

#define URL_MAX_HOST 253

/* quotebank_fast(raw, today, text_limit, url_limit, external_id_limit, row_middle, row_end, citation_row)
 *   -> (speaker name, qid or None, quote key, quote row, [(url key, source row, citation row), ...])
 *   or None when the record is not an everyday one (the Python code then decides).
 *
 * The quote row is text, normalized, digest, search text, "", said_on, precision, then
 * `row_middle` ("en\t\t<status>\t<verification>\t\t"), the probability, the quoteID and `row_end`
 * ("\t<first_published_at or \\N>"): see ImportLayout.quote_row. */
static PyObject *quotebank_fast(PyObject *self, PyObject *args)
{
    PyObject *raw, *today_obj, *middle_obj, *end_obj, *citation_row;
    Py_ssize_t url_limit, external_limit, text_limit;
    PyObject *text_obj, *name, *qids, *qid = Py_None, *date_obj, *probas, *urls, *external;
    PyObject *probability_repr = NULL, *stripped = NULL, *result = NULL, *citations = NULL;
    PyObject *quote_key = NULL, *row = NULL;
    const char *text, *today, *middle, *end, *date = NULL, *ext = "";
    Py_ssize_t text_n, today_n, middle_n, end_n, date_n = 0, ext_n = 0, i, j;
    Buf norm = {0}, b = {0}, row_buf = {0};
    char hex[64];

    if (!PyArg_ParseTuple(args, "O!UnnnUUU", &PyDict_Type, &raw, &today_obj, &text_limit, &url_limit, &external_limit,
                          &middle_obj, &end_obj, &citation_row))
        return NULL;
    if (!(today = ascii_of(today_obj, &today_n)) || today_n != 10 || !(middle = ascii_of(middle_obj, &middle_n)) ||
        !(end = ascii_of(end_obj, &end_n))) {
        PyErr_SetString(PyExc_ValueError, "quotebank_fast: today, row_middle and row_end must be ASCII");
        return NULL;
    }

    /* quotation: ASCII, printable, no backslash, not blank, within the limit */
    text_obj = PyDict_GetItemWithError(raw, K_QUOTATION);
    if (!text_obj || !(text = ascii_of(text_obj, &text_n)) || text_n > text_limit || !printable_no_backslash(text, text_n))
        goto ordinary_or_error;

    /* speaker: a str that is not "None"; qids: a list whose first item, if any, is a str */
    name = PyDict_GetItemWithError(raw, K_SPEAKER);
    if (!name || !PyUnicode_CheckExact(name))
        goto ordinary_or_error;
    if (!(stripped = PyObject_CallMethodNoArgs(name, S_STRIP)))
        goto error;
    i = PyUnicode_Compare(stripped, S_NONE);
    Py_CLEAR(stripped);
    if (i == 0 || (i == -1 && PyErr_Occurred()))
        goto ordinary_or_error;
    qids = PyDict_GetItemWithError(raw, K_QIDS);
    if (qids && qids != Py_None) {
        if (!PyList_CheckExact(qids))
            goto ordinary_or_error;
        if (PyList_GET_SIZE(qids)) {
            qid = PyList_GET_ITEM(qids, 0);
            if (!PyUnicode_CheckExact(qid))
                goto ordinary_or_error;
        }
    } else if (PyErr_Occurred())
        goto error;

    /* date: absent, or an everyday date in the past */
    date_obj = PyDict_GetItemWithError(raw, K_DATE);
    if (date_obj && date_obj != Py_None) {
        if (!(date = ascii_of(date_obj, &date_n)) || !plain_past_date(date, date_n, today))
            goto ordinary_or_error;
    } else if (PyErr_Occurred())
        goto error;

    /* probas: absent or [], or [[name, "0.85"], ...] with the number within 0..1 */
    probas = PyDict_GetItemWithError(raw, K_PROBAS);
    if (probas && probas != Py_None && !(PyList_CheckExact(probas) && PyList_GET_SIZE(probas) == 0)) {
        PyObject *first, *value, *number;
        double p;
        if (!PyList_CheckExact(probas))
            goto ordinary_or_error;
        first = PyList_GET_ITEM(probas, 0);
        if (!PyList_CheckExact(first) || PyList_GET_SIZE(first) < 2)
            goto ordinary_or_error;
        value = PyList_GET_ITEM(first, 1);
        if (!PyUnicode_CheckExact(value) || PyUnicode_GET_LENGTH(value) == 0)
            goto ordinary_or_error;
        if (!(number = PyFloat_FromString(value))) {
            PyErr_Clear();
            goto ordinary_or_error;
        }
        p = PyFloat_AS_DOUBLE(number);
        if (!(p >= 0.0 && p <= 1.0)) {
            Py_DECREF(number);
            goto ordinary_or_error;
        }
        probability_repr = PyObject_Repr(number);
        Py_DECREF(number);
        if (!probability_repr)
            goto error;
    } else if (PyErr_Occurred())
        goto error;

    /* quoteID: absent, or ASCII without control characters or backslashes, within the limit */
    external = PyDict_GetItemWithError(raw, K_QUOTE_ID);
    if (external && external != Py_None) {
        if (!(ext = ascii_of(external, &ext_n)) || ext_n > external_limit || !printable_no_backslash(ext, ext_n))
            goto ordinary_or_error;
    } else if (PyErr_Occurred())
        goto error;

    /* urls: a list of plain http(s) URLs without port, query or fragment */
    urls = PyDict_GetItemWithError(raw, K_URLS);
    if (!(citations = PyList_New(0)))
        goto error;
    if (urls && urls != Py_None && !(PyList_CheckExact(urls) && PyList_GET_SIZE(urls) == 0)) {
        if (!PyList_CheckExact(urls))
            goto ordinary_or_error;
        for (i = 0; i < PyList_GET_SIZE(urls); i++) {
            PyObject *url_obj = PyList_GET_ITEM(urls, i), *url_key, *source_row, *item;
            const char *url, *host, *rest;
            Py_ssize_t url_n, host_n, rest_n, scheme_n, k, domain_skip;
            char lower_host[URL_MAX_HOST + 1], url_hex[64];
            int seen = 0;
            if (!(url = ascii_of(url_obj, &url_n)) || url_n == 0 || url_n > url_limit)
                goto ordinary_or_error;
            for (k = 0; k < url_n; k++) /* printable, no space, no backslash, no query or fragment */
                if (url[k] <= 0x20 || url[k] > 0x7e || url[k] == '\\' || url[k] == '?' || url[k] == '#')
                    goto ordinary_or_error;
            if (url_n >= 8 && PyOS_strnicmp(url, "https://", 8) == 0)
                scheme_n = 5;
            else if (url_n >= 7 && PyOS_strnicmp(url, "http://", 7) == 0)
                scheme_n = 4;
            else
                goto ordinary_or_error;
            host = url + scheme_n + 3;
            for (host_n = 0; host + host_n < url + url_n && host[host_n] != '/'; host_n++)
                if (host[host_n] == ':') /* a port: normalize_url decides */
                    goto ordinary_or_error;
            if (host_n == 0 || host_n > URL_MAX_HOST)
                goto ordinary_or_error;
            for (k = 0; k < host_n; k++)
                lower_host[k] = (char)Py_TOLOWER(host[k]);
            if (!plain_host(lower_host, host_n))
                goto ordinary_or_error;
            rest = host + host_n;
            rest_n = url + url_n - rest;
            /* the same URL twice in one record is cited once */
            for (j = 0; j < i && !seen; j++) {
                PyObject *other = PyList_GET_ITEM(urls, j);
                seen = PyUnicode_CheckExact(other) && PyUnicode_Compare(other, url_obj) == 0;
            }
            if (seen)
                continue;
            /* normalized: scheme and host lower-cased, the path as written ("/" for none) */
            b.len = 0;
            PUTS(&b, scheme_n == 5 ? "https://" : "http://");
            PUT(&b, lower_host, host_n);
            if (rest_n)
                PUT(&b, rest, rest_n);
            else
                PUT(&b, "/", 1);
            if (!(url_key = digest(b.data, b.len, url_hex)))
                goto error;
            domain_skip = (host_n > 4 && memcmp(lower_host, "www.", 4) == 0) ? 4 : 0;
            /* url, normalized, hash, domain, title, publisher (the domain), author, published_on, language */
            {
                Py_ssize_t domain_n = host_n - domain_skip > 255 ? 255 : host_n - domain_skip;
                row_buf.len = 0;
                if (buf_put(&row_buf, url, url_n) < 0 || buf_put(&row_buf, "\t", 1) < 0 ||
                    buf_put(&row_buf, b.data, b.len) < 0 || buf_put(&row_buf, "\t", 1) < 0 ||
                    buf_put(&row_buf, url_hex, 64) < 0 || buf_put(&row_buf, "\t", 1) < 0 ||
                    buf_put(&row_buf, lower_host + domain_skip, domain_n) < 0 || buf_put(&row_buf, "\t\t", 2) < 0 ||
                    buf_put(&row_buf, lower_host + domain_skip, domain_n) < 0 ||
                    buf_put(&row_buf, "\t\t\\N\t", 5) < 0) {
                    Py_DECREF(url_key);
                    goto error;
                }
                source_row = PyUnicode_FromStringAndSize(row_buf.data, row_buf.len);
            }
            if (!source_row) {
                Py_DECREF(url_key);
                goto error;
            }
            item = PyTuple_Pack(3, url_key, source_row, citation_row);
            Py_DECREF(url_key);
            Py_DECREF(source_row);
            if (!item || PyList_Append(citations, item) < 0) {
                Py_XDECREF(item);
                goto error;
            }
            Py_DECREF(item);
        }
    } else if (PyErr_Occurred())
        goto error;

    /* normalized text: words separated by one space, lower case, '`' folded to an apostrophe */
    {
        Py_ssize_t k = 0;
        int space = 0;
        while (k < text_n && text[k] == ' ')
            k++;
        if (k == text_n) /* blank: the Python code rejects it */
            goto ordinary_or_error;
        for (; k < text_n; k++) {
            char c = text[k];
            if (c == ' ') {
                space = 1;
                continue;
            }
            if (space) {
                PUT(&norm, " ", 1);
                space = 0;
            }
            c = c == '`' ? '\'' : (char)Py_TOLOWER(c);
            PUT(&norm, &c, 1);
        }
    }
    if (!(quote_key = digest(norm.data, norm.len, hex)))
        goto error;

    b.len = 0;
    PUT(&b, text, text_n);
    PUT(&b, "\t", 1);
    PUT(&b, norm.data, norm.len);
    PUT(&b, "\t", 1);
    PUT(&b, hex, 64);
    PUT(&b, "\t", 1);
    PUT(&b, norm.data, norm.len);
    PUT(&b, "\t\t", 2);
    if (date) {
        PUT(&b, date, 10);
        PUTS(&b, "\tday\t");
    } else
        PUTS(&b, "\\N\tunknown\t");
    PUT(&b, middle, middle_n);
    if (probability_repr) {
        Py_ssize_t n;
        const char *p = ascii_of(probability_repr, &n);
        if (!p)
            goto ordinary_or_error;
        PUT(&b, p, n);
    } else
        PUT(&b, "\\N", 2);
    PUT(&b, "\t", 1);
    PUT(&b, ext, ext_n);
    PUT(&b, end, end_n);
    if (!(row = PyUnicode_FromStringAndSize(b.data, b.len)))
        goto error;
    result = PyTuple_Pack(5, name, qid, quote_key, row, citations);
    goto done;

ordinary_or_error:
    if (!PyErr_Occurred()) {
        result = Py_None;
        Py_INCREF(result);
    }
error:
done:
    Py_XDECREF(probability_repr);
    Py_XDECREF(citations);
    Py_XDECREF(quote_key);
    Py_XDECREF(row);
    PyMem_Free(norm.data);
    PyMem_Free(b.data);
    PyMem_Free(row_buf.data);
    return result;
}


#define APPEND_CONTEXT 19

/* quotebank_append(raw, line, context) -> True when the record was an everyday one and is appended
 * to the batch's lists, False when the Python code must decide. `context`, laid out once a batch
 * (quotes/importing/quotebank.py, EverydayAppender): quotebank_fast's arguments after `raw`, the
 * speaker function (quotebank_speaker: it may raise Rejected, before anything is appended), then the
 * lists of a PreparedBatch: lines, speakers, venues, tags, about, quote_keys, quote_rows,
 * citation_counts, url_keys, source_rows, citation_rows. */
static PyObject *quotebank_append(PyObject *self, PyObject *args)
{
    PyObject *raw, *line, *context, *fast_args, *fast, *speaker, *citations, *value;
    PyObject *lists[11];
    Py_ssize_t i, k;
    if (!PyArg_ParseTuple(args, "O!OO!", &PyDict_Type, &raw, &line, &PyTuple_Type, &context))
        return NULL;
    if (PyTuple_GET_SIZE(context) != APPEND_CONTEXT) {
        PyErr_SetString(PyExc_ValueError, "quotebank_append: a context of 19 items");
        return NULL;
    }
    for (i = 0; i < 11; i++) {
        lists[i] = PyTuple_GET_ITEM(context, 8 + i);
        if (!PyList_CheckExact(lists[i])) {
            PyErr_SetString(PyExc_TypeError, "quotebank_append: the batch's fields must be lists");
            return NULL;
        }
    }
    if (!(fast_args = PyTuple_New(8)))
        return NULL;
    Py_INCREF(raw);
    PyTuple_SET_ITEM(fast_args, 0, raw);
    for (i = 0; i < 7; i++) {
        value = PyTuple_GET_ITEM(context, i);
        Py_INCREF(value);
        PyTuple_SET_ITEM(fast_args, i + 1, value);
    }
    fast = quotebank_fast(self, fast_args);
    Py_DECREF(fast_args);
    if (!fast)
        return NULL;
    if (fast == Py_None) {
        Py_DECREF(fast);
        Py_RETURN_FALSE;
    }
    speaker = PyObject_CallFunctionObjArgs(PyTuple_GET_ITEM(context, 7), PyTuple_GET_ITEM(fast, 0),
                                           PyTuple_GET_ITEM(fast, 1), NULL);
    if (!speaker) {
        Py_DECREF(fast);
        return NULL;
    }
    citations = PyTuple_GET_ITEM(fast, 4);
    {
        PyObject *tags = PyList_New(0), *about = PyList_New(0);
        PyObject *count = PyLong_FromSsize_t(PyList_GET_SIZE(citations));
        int failed = !tags || !about || !count || PyList_Append(lists[0], line) < 0 ||
                     PyList_Append(lists[1], speaker) < 0 || PyList_Append(lists[2], Py_None) < 0 ||
                     PyList_Append(lists[3], tags) < 0 || PyList_Append(lists[4], about) < 0 ||
                     PyList_Append(lists[5], PyTuple_GET_ITEM(fast, 2)) < 0 ||
                     PyList_Append(lists[6], PyTuple_GET_ITEM(fast, 3)) < 0 || PyList_Append(lists[7], count) < 0;
        Py_XDECREF(tags);
        Py_XDECREF(about);
        Py_XDECREF(count);
        Py_DECREF(speaker);
        for (k = 0; !failed && k < PyList_GET_SIZE(citations); k++) {
            PyObject *citation = PyList_GET_ITEM(citations, k);
            for (i = 0; i < 3 && !failed; i++)
                failed = PyList_Append(lists[8 + i], PyTuple_GET_ITEM(citation, i)) < 0;
        }
        Py_DECREF(fast);
        if (failed)
            return NULL;
    }
    Py_RETURN_TRUE;
}

/* ---- The bulk loader's matching and laying out (quotes/importing/staging.py) ----------------- */

static int write_int(_PyUnicodeWriter *w, PyObject *value)
{
    char digits[32];
    long long n = PyLong_AsLongLong(value);
    if (n == -1 && PyErr_Occurred())
        return -1;
    return _PyUnicodeWriter_WriteASCIIString(w, digits, snprintf(digits, sizeof digits, "%lld", n));
}

/* One value of copy_lines: None is NULL, an int its digits, a str as it is. */
static int write_value(_PyUnicodeWriter *w, PyObject *value)
{
    if (value == Py_None)
        return _PyUnicodeWriter_WriteASCIIString(w, "\\N", 2);
    if (PyLong_CheckExact(value))
        return write_int(w, value);
    if (PyUnicode_CheckExact(value))
        return _PyUnicodeWriter_WriteStr(w, value);
    PyErr_Format(PyExc_TypeError, "copy_lines: an int, a str or None, not %.100s", Py_TYPE(value)->tp_name);
    return -1;
}

/* first_new(keys, known) -> the indexes of the keys not in `known`, each at its first occurrence */
static PyObject *first_new(PyObject *self, PyObject *args)
{
    PyObject *keys, *known, *seen, *out, *index;
    Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &keys, &PyDict_Type, &known))
        return NULL;
    if (!(seen = PySet_New(NULL)))
        return NULL;
    if (!(out = PyList_New(0))) {
        Py_DECREF(seen);
        return NULL;
    }
    for (i = 0; i < PyList_GET_SIZE(keys); i++) {
        PyObject *key = PyList_GET_ITEM(keys, i);
        int found = PyDict_Contains(known, key);
        if (found == 0)
            found = PySet_Contains(seen, key);
        if (found < 0)
            goto error;
        if (found)
            continue;
        if (PySet_Add(seen, key) < 0 || !(index = PyLong_FromSsize_t(i)))
            goto error;
        if (PyList_Append(out, index) < 0) {
            Py_DECREF(index);
            goto error;
        }
        Py_DECREF(index);
    }
    Py_DECREF(seen);
    return out;
error:
    Py_DECREF(seen);
    Py_DECREF(out);
    return NULL;
}

/* copy_lines(columns, end) -> one line a row: the columns' values joined by tabs, then `end` */
static PyObject *copy_lines(PyObject *self, PyObject *args)
{
    PyObject *columns, *end;
    Py_ssize_t rows, c, i, width;
    _PyUnicodeWriter w;
    if (!PyArg_ParseTuple(args, "O!U", &PyList_Type, &columns, &end))
        return NULL;
    width = PyList_GET_SIZE(columns);
    if (width == 0)
        return PyUnicode_New(0, 0);
    for (c = 0; c < width; c++)
        if (!PyList_CheckExact(PyList_GET_ITEM(columns, c))) {
            PyErr_SetString(PyExc_TypeError, "copy_lines: columns must be lists");
            return NULL;
        }
    rows = PyList_GET_SIZE(PyList_GET_ITEM(columns, 0));
    for (c = 1; c < width; c++)
        if (PyList_GET_SIZE(PyList_GET_ITEM(columns, c)) != rows) {
            PyErr_SetString(PyExc_ValueError, "copy_lines: columns of different lengths");
            return NULL;
        }
    _PyUnicodeWriter_Init(&w);
    w.overallocate = 1;
    for (i = 0; i < rows; i++) {
        for (c = 0; c < width; c++) {
            if (c && _PyUnicodeWriter_WriteChar(&w, '\t') < 0)
                goto error;
            if (write_value(&w, PyList_GET_ITEM(PyList_GET_ITEM(columns, c), i)) < 0)
                goto error;
        }
        if (_PyUnicodeWriter_WriteStr(&w, end) < 0)
            goto error;
    }
    return _PyUnicodeWriter_Finish(&w);
error:
    _PyUnicodeWriter_Dealloc(&w);
    return NULL;
}

/* cite(keys, counts, url_keys, rows, known_quotes, known_sources, new_quotes, end)
 *   -> (COPY text of the new quotes' citations, [(quote, source, row) to match], [quote id a record]) */
static PyObject *cite(PyObject *self, PyObject *args)
{
    PyObject *keys, *counts, *url_keys, *rows, *known_quotes, *known_sources, *new_quotes, *end;
    PyObject *known = NULL, *quote_ids = NULL, *seen = NULL, *cited = NULL, *text;
    Py_ssize_t n, i, next = 0, k;
    _PyUnicodeWriter w;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!O!U", &PyList_Type, &keys, &PyList_Type, &counts, &PyList_Type,
                          &url_keys, &PyList_Type, &rows, &PyDict_Type, &known_quotes, &PyDict_Type, &known_sources,
                          &PyDict_Type, &new_quotes, &end))
        return NULL;
    n = PyList_GET_SIZE(keys);
    if (PyList_GET_SIZE(counts) != n || PyList_GET_SIZE(url_keys) != PyList_GET_SIZE(rows)) {
        PyErr_SetString(PyExc_ValueError, "cite: lists of different lengths");
        return NULL;
    }
    _PyUnicodeWriter_Init(&w);
    w.overallocate = 1;
    if (!(known = PyList_New(0)) || !(quote_ids = PyList_New(0)) || !(seen = PySet_New(NULL)) ||
        !(cited = PySet_New(NULL)))
        goto error;
    for (i = 0; i < n; i++) {
        PyObject *key = PyList_GET_ITEM(keys, i), *quote;
        Py_ssize_t count = PyLong_AsSsize_t(PyList_GET_ITEM(counts, i));
        int fresh;
        if (count == -1 && PyErr_Occurred())
            goto error;
        if (count < 0 || next + count > PyList_GET_SIZE(url_keys)) {
            PyErr_SetString(PyExc_ValueError, "cite: counts do not match the citations");
            goto error;
        }
        if (!(quote = PyDict_GetItemWithError(known_quotes, key))) {
            if (!PyErr_Occurred())
                PyErr_SetObject(PyExc_KeyError, key);
            goto error;
        }
        if (PyList_Append(quote_ids, quote) < 0)
            goto error;
        if ((fresh = PyDict_Contains(new_quotes, key)) < 0)
            goto error;
        if (fresh) {
            int was_seen = PySet_Contains(seen, quote);
            if (was_seen < 0)
                goto error;
            fresh = !was_seen;
        }
        if (PySet_Add(seen, quote) < 0 || PySet_Clear(cited) < 0)
            goto error;
        for (k = next; k < next + count; k++) {
            PyObject *source = PyDict_GetItemWithError(known_sources, PyList_GET_ITEM(url_keys, k));
            PyObject *row = PyList_GET_ITEM(rows, k);
            int already;
            if (!source) {
                if (!PyErr_Occurred())
                    PyErr_SetObject(PyExc_KeyError, PyList_GET_ITEM(url_keys, k));
                goto error;
            }
            if ((already = PySet_Contains(cited, source)) < 0)
                goto error;
            if (already)
                continue;
            if (PySet_Add(cited, source) < 0)
                goto error;
            if (fresh) {
                if (!PyUnicode_CheckExact(row)) {
                    PyErr_SetString(PyExc_TypeError, "cite: rows must be str");
                    goto error;
                }
                if (write_int(&w, quote) < 0 || _PyUnicodeWriter_WriteChar(&w, '\t') < 0 ||
                    write_int(&w, source) < 0 || _PyUnicodeWriter_WriteChar(&w, '\t') < 0 ||
                    _PyUnicodeWriter_WriteStr(&w, row) < 0 || _PyUnicodeWriter_WriteStr(&w, end) < 0)
                    goto error;
            } else {
                PyObject *item = PyTuple_Pack(3, quote, source, row);
                if (!item || PyList_Append(known, item) < 0) {
                    Py_XDECREF(item);
                    goto error;
                }
                Py_DECREF(item);
            }
        }
        next += count;
    }
    if (next != PyList_GET_SIZE(url_keys)) {
        PyErr_SetString(PyExc_ValueError, "cite: counts do not match the citations");
        goto error;
    }
    Py_DECREF(seen);
    Py_DECREF(cited);
    if (!(text = _PyUnicodeWriter_Finish(&w))) {
        Py_DECREF(known);
        Py_DECREF(quote_ids);
        return NULL;
    }
    return Py_BuildValue("(NNN)", text, known, quote_ids);
error:
    _PyUnicodeWriter_Dealloc(&w);
    Py_XDECREF(known);
    Py_XDECREF(quote_ids);
    Py_XDECREF(seen);
    Py_XDECREF(cited);
    return NULL;
}

static PyMethodDef methods[] = {
    {"quotebank_fast", quotebank_fast, METH_VARARGS,
     "An everyday Quotebank record as (name, qid, quote key, quote row, citations), or None."},
    {"quotebank_append", quotebank_append, METH_VARARGS,
     "Append an everyday Quotebank record to a batch's lists (True), or leave it to Python (False)."},
    {"first_new", first_new, METH_VARARGS, "The indexes of the keys not known, at their first occurrence."},
    {"copy_lines", copy_lines, METH_VARARGS, "COPY text of rows given column by column."},
    {"cite", cite, METH_VARARGS, "A batch's citations: COPY text of the new, the known to match, quote ids."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void)
{
#define INTERN(var, s) if (!(var = PyUnicode_InternFromString(s))) return NULL
    INTERN(K_QUOTATION, "quotation");
    INTERN(K_SPEAKER, "speaker");
    INTERN(K_QIDS, "qids");
    INTERN(K_DATE, "date");
    INTERN(K_PROBAS, "probas");
    INTERN(K_URLS, "urls");
    INTERN(K_QUOTE_ID, "quoteID");
    INTERN(S_STRIP, "strip");
    INTERN(S_NONE, "None");
    return PyModule_Create(&module);
}
