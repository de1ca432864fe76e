/// The text of `--filter-help` (one source, tested).
package enum FilterHelp {
    package static let text = """
        FILTER LANGUAGE  (-f EXPR, repeatable; --skip EXPR, same syntax)

          category/suite/test[key=value,...]<key=value,...>

          Path: 1 to 4 segments separated by '/':
            category                      every suite of the category
            category/suite                one suite (by name or file-style slug)
            category/suite/test           one test (or a whole matrix group)
            category/suite/group/test     one member of a matrix group
          A shorter path selects everything below it.

          In a segment:
            *        any run of characters (never crosses '/')
            {a,b}    alternation; anywhere in a segment, may contain * and nest
            \\x       the character x literally (for names with / [ ] < > { } , * = \\)
          Matching ignores case. A suite or test matches by its name or by its
          slug (lower case, other characters as '-': "TLS Stream" -> tls-stream).

          Matrix selector [key=value,...]:
            Narrows a matrix test to the combinations with these values; keys you
            leave out still expand over all their values. key={v1,v2} allows
            several values. Values are compared by their printed form (strings as
            written, integers in decimal, true/false, none). A value that is not
            declared for the dimension is an error that lists the allowed values.
            A selector never matches a simple (non-matrix) test.

          Coordinated selector <key=value,...>:
            For coordinated tests: parallel=task|thread|process sets the mode,
            ROLE=N the instances of a role (defaults: the test's). One value per
            key; an unknown key or mode is an error listing the allowed ones.
            Carried in the case id. It never matches other kinds of test.

          Several -f: a case runs if any filter selects it. --skip removes the
          cases it selects (a path-only --skip removes whole suites or tests).
          Every case has a canonical id (shown by --dry-run and in results); given
          to -f it selects exactly that case.

        EXAMPLES
          -f unit                                 every unit suite
          -f '{unit,regression,coverage}'         three categories
          -f 'unit/*stream*'                      unit suites whose name contains "stream"
          -f '*/*/handshake*'                     tests starting with "handshake", anywhere
          -f 'unit/{tls,dtls}-*'                  alternation inside a segment
          -f 'unit/stream-contract/round trip[transport=tcp]'
                                                  only the tcp combinations (size still expands)
          -f 'unit/stream-contract/round trip[transport=tcp,size={0,16384}]'
          -f 'performance/perf9/echo[protocol=tls]<parallel=thread,server=2>'
          --skip 'unit/slow*'                     everything but the slow suites
          --dry-run -f unit                       show the plan and the ids, run nothing

        ERRORS
          A malformed expression exits with status 2 and a caret under the
          offending character, e.g.
            invalid filter: unbalanced '[': no closing ']' (at character 10)
              unit/x/y[a=1
                      ^
        """
}
