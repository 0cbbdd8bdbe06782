"""Realistic XPath 3.1 queries a historian asks of a FRUS volume, with where each runs.

Shared by ``tests/test_query_oracle.py`` (each answer compared item by item
with Saxon's) and ``bench/query_bench.py`` (each timed against Saxon).
Corpus: ``memo`` (our TEI), ``excerpt`` (documents 299-302 with the
volume's header and lists) or ``volume`` (the whole 3.3 MB volume).
"""

from __future__ import annotations

#: (label, corpus, expression)
QUERIES: list[tuple[str, str, str]] = [
    # -- paths, document order, mixed content
    ("first person of d25", "volume", "string((//div[@xml:id='d25']//persName)[1])"),
    ("paragraph text in order", "volume", "normalize-space(string-join(//div[@xml:id='d3']/p[1]//text(), ''))"),
    ("first persName per document", "volume",
     "for $d in //div[@type='document'] return string(($d//persName)[1])"),
    ("persons of the memo", "memo", "//text//persName"),
    ("mixed-content notes", "excerpt", "//note[contains(., 'Source:')] ! normalize-space(.)"),
    ("string value of a head", "memo", "string((//text//head)[1])"),
    ("union in order", "excerpt", "(//text//placeName | //text//persName)[position() le 12] ! local-name()"),
    ("intersect", "volume", "count(//div[@type='document']//persName intersect //note//persName)"),
    ("except", "volume", "count(//text//persName except //note//persName)"),
    ("descendant text nodes", "memo", "//text//p[1]//text()"),
    ("attributes of a pb", "excerpt", "//pb[1]/@*"),
    # -- XPath 1.0 shapes that mean something else in 3.1
    ("date compared with a number", "volume", "count(//date[@when > 1959])"),
    ("pb compared with a number", "volume", "//pb[@n = 300]/@facs"),
    ("pb compared as string", "volume", "//pb[@n = '300']/@facs"),
    ("numeric cast compare", "volume", "count(//pb[@n castable as xs:integer][xs:integer(@n) > 800])"),
    # -- predicates, look-ups, id()
    ("p with Dalai Lama and its page", "volume",
     "//p[contains(., 'Dalai Lama')] ! (preceding::pb[1]/@n || ': ' || ancestor::div[@type='document']/@xml:id)"),
    ("id() look-up", "volume", "id('d300')/head ! normalize-space(.)"),
    ("id() of many", "volume", "count(id(('d1', 'd2', 'd300', 'nope')))"),
    ("corresp to person entry", "volume",
     "for $p in (//text//persName[@corresp])[position() le 20] "
     "return normalize-space(id(substring-after($p/@corresp, '#'))/persName)"),
    ("documents mentioning Eisenhower", "volume",
     "count(//div[@type='document'][.//persName/@corresp = '#p_EDD1'])"),
    ("notes per chapter", "volume", "//div[@type='chapter'] ! count(.//note)"),
    ("pages of a document", "volume",
     "let $d := id('d300') return ($d/preceding::pb[1]/@n, $d//pb/@n) ! string()"),
    ("page of each dateline", "volume", "(//dateline)[position() le 30] ! string(preceding::pb[1]/@n)"),
    # -- FLWOR, quantifiers, sorting
    # XPath 3.1 has no where/order by (XQuery's): a filter and sort() say the same
    ("FLWOR filter and order", "volume",
     "for $d in sort(//div[@type='document'][count(.//note) ge 6], (), function($d) { -count($d//note) }) "
     "return let $n := count($d//note) return $d/@xml:id || ':' || $n"),
    ("sort with key", "volume",
     "let $root := root(.) return sort(distinct-values(//gloss/@target), (), "
     "function($t) { -count($root//gloss[@target = $t]) })[position() le 10]"),
    ("sort persons by name", "excerpt",
     "sort(distinct-values(//text//persName ! normalize-space(.)))"),
    ("some", "volume", "some $d in //div[@type='document'] satisfies contains($d/head, 'Dulles')"),
    ("every", "volume", "every $d in //div[@type='document'] satisfies $d/@xml:id = 'd' || $d/@n"),
    ("documents where some note", "volume",
     "count(//div[@type='document'][some $n in .//note satisfies contains($n, 'Eisenhower Library')])"),
    ("distinct corresp counted", "volume", "count(distinct-values(//persName/@corresp))"),
    ("group by first letter", "volume",
     "for $l in sort(distinct-values(//text//persName/@corresp ! substring(., 4, 1))) "
     "return $l || '=' || count(//text//persName[substring(@corresp, 4, 1) = $l])"),
    # -- maps and arrays
    ("map of note counts", "volume",
     "map:merge(for $c in //div[@type='chapter'] return map{string($c/@xml:id): count($c//note)})"),
    ("map keys sorted", "volume",
     "let $m := map:merge(for $d in (//div[@type='document'])[position() le 40] "
     "return map{string($d/@xml:id): string-length($d)}) return sort(map:keys($m))[position() le 5]"),
    ("array of persons", "memo", "array{ //text//persName ! string(.) }"),
    ("array functions", "memo", "array:size(array{1 to 5}), array:join(([1, 2], [3]))"),
    ("map lookup operator", "memo", "map{'a': 1, 'b': 2}?b, [10, 20, 30]?2"),
    ("map for-each", "memo", "sort(map:for-each(map{'x': 1, 'y': 2}, function($k, $v) { $k || $v }))"),
    # -- arrow chains and higher-order functions
    ("arrow sort", "memo", "(3, 1, 2) => sort()"),
    ("arrow reverse head tail", "memo", "((1 to 5) => reverse() => tail()) => head()"),
    ("arrow for-each filter", "memo",
     "(1 to 10) => for-each(function($x) { $x * $x }) => filter(function($x) { $x mod 2 = 0 })"),
    ("arrow fold-left", "volume",
     "//div[@type='document'] ! count(.//p) => fold-left(0, function($a, $b) { $a + $b })"),
    ("arrow string functions", "volume", "id('d300')/head => normalize-space() => upper-case() => substring(1, 20)"),
    ("higher-order for-each-pair", "memo", "for-each-pair((1, 2, 3), ('a', 'b', 'c'), function($n, $s) { $s || $n })"),
    ("function reference", "volume", "(//dateline)[position() le 5] ! normalize-space(.) ! string-length#1(.)"),
    ("inline function with //", "memo", "for-each(1 to 2, function($x) { //persName })"),
    # -- dates and numbers
    ("format-date check", "volume",
     "for $d in //dateline/date[@when castable as xs:date] return let $printed := "
     "format-date(xs:date($d/@when), '[MNn] [D], [Y]') return if ($printed ne normalize-space($d)) "
     "then $d/@when || ' | ' || normalize-space($d) else ()"),
    ("format-date weekday", "memo", "format-date(xs:date('1959-09-24'), '[FNn], [D1o] [MNn] [Y]')"),
    ("date arithmetic", "volume",
     "let $w := //dateline/date/@when[. castable as xs:date] ! xs:date(.) "
     "return days-from-duration(max($w) - min($w))"),
    ("dates in 1959", "volume",
     "count(//date[@when castable as xs:date][year-from-date(xs:date(@when)) = 1959])"),
    ("month histogram", "volume",
     "for $m in 1 to 12 return count(//date[@when castable as xs:date]"
     "[month-from-date(xs:date(@when)) = $m])"),
    ("duration add", "memo", "xs:date('1959-09-24') + xs:dayTimeDuration('P30D')"),
    ("format-number", "volume", "format-number(count(//p) div count(//div[@type='document']), '#,##0.00')"),
    ("format-number grouping", "memo", "format-number(1234567.891, '#,##0.0')"),
    ("average words", "volume",
     "avg(//div[@type='document'] ! count(tokenize(normalize-space(.), ' '))) => round()"),
    # -- strings and regular expressions
    ("tokenize", "memo", "tokenize(normalize-space(//text//p[1]), '\\s+')[position() le 8]"),
    ("matches with flags", "volume", "count(//p[matches(., 'sino-soviet', 'i')])"),
    ("matches x flag", "volume", "count(//head[matches(., '^ memorandum \\s+ of', 'ix')])"),
    ("analyze-string", "memo",
     "analyze-string(normalize-space(//text//p[1]), '[A-Z][a-z]+')//*:match[position() le 5] ! string()"),
    ("replace", "excerpt", "//dateline ! replace(normalize-space(.), '(\\d{4})', '[$1]')"),
    ("string-join of ids", "volume", "string-join((//div[@type='document']/@xml:id)[position() le 10], ',')"),
    # -- root(), path(), serialize()
    ("root", "memo", "root((//persName)[1]) instance of document-node()"),
    ("path", "memo", "path((//text//persName)[2])"),
    ("path of attribute", "memo", "path((//text//persName)[1]/@ref)"),
    ("serialize string", "memo", "serialize('x')"),
    ("serialize element", "memo", "serialize(//text//head/persName[1])"),
    ("serialize json", "memo", "serialize(map{'n': 1}, map{'method': 'json'})"),
]
