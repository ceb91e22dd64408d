using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace LockOrder.Cli.Import;

/// <summary>A lock declared in the header's code: <c>spinlock_t name;</c> as a struct member or a global.</summary>
internal sealed record LockDeclaration(string Name, string Kind, string? Struct, int Line);

/// <summary>What the header's declarations say about a row's kind: the kind, or why there is none.</summary>
internal sealed record KindInference(string? Kind, string Explanation);

/// <summary>
/// The lock declarations of a C header, read from its code (comments and strings blanked): <c>spinlock_t</c> and
/// <c>rwlock_t</c> are spinlocks, <c>struct mutex</c> a mutex, <c>struct rw_semaphore</c> an rwsem and
/// <c>struct semaphore</c> a semaphore, declared as a member (of the struct whose braces enclose it) or a global;
/// also the <c>DEFINE_SPINLOCK(name)</c> family. Pointers to locks are not locks and are not counted.
/// </summary>
internal sealed class LockDeclarations
{
    private static readonly Regex Declaration = new(
        @"\b(?<type>spinlock_t|rwlock_t|struct\s+mutex|struct\s+rw_semaphore|struct\s+semaphore)\s+(?<names>[A-Za-z_]\w*(?:\s*\[[^\];]*\])?(?:\s*,\s*[A-Za-z_]\w*(?:\s*\[[^\];]*\])?)*)\s*;",
        RegexOptions.CultureInvariant);

    private static readonly Regex Definition = new(
        @"\b(?<macro>DEFINE_SPINLOCK|DEFINE_RWLOCK|DEFINE_MUTEX|DECLARE_RWSEM|DEFINE_SEMAPHORE)\s*\(\s*(?<name>[A-Za-z_]\w*)",
        RegexOptions.CultureInvariant);

    private static readonly Regex StructOpening = new(@"\b(?:struct|union)\s+(?<name>[A-Za-z_]\w*)\s*$", RegexOptions.CultureInvariant);

    private LockDeclarations(IReadOnlyList<LockDeclaration> all) => All = all;

    public IReadOnlyList<LockDeclaration> All { get; }

    public static LockDeclarations Find(CSource source)
    {
        var code = source.Code;
        var found = new List<(int Pos, string Name, string Kind)>();
        foreach (Match m in Declaration.Matches(code))
        {
            var kind = KindOf(Regex.Replace(m.Groups["type"].Value, @"\s+", " "));
            foreach (var declarator in m.Groups["names"].Value.Split(','))
            {
                var name = Regex.Match(declarator, @"[A-Za-z_]\w*").Value;
                found.Add((m.Index, name, kind));
            }
        }

        foreach (Match m in Definition.Matches(code))
        {
            var kind = m.Groups["macro"].Value switch
            {
                "DEFINE_MUTEX" => "mutex",
                "DECLARE_RWSEM" => "rwsem",
                "DEFINE_SEMAPHORE" => "semaphore",
                _ => "spinlock",
            };
            found.Add((m.Index, m.Groups["name"].Value, kind));
        }

        found.Sort((a, b) => a.Pos.CompareTo(b.Pos));

        // Walk the braces once: which struct encloses each declaration (an anonymous struct or union inside a
        // struct counts as that struct; a function body as none).
        var result = new List<LockDeclaration>();
        var scopes = new Stack<string?>();
        int line = 1, next = 0;
        for (int i = 0; i <= code.Length && next < found.Count; i++)
        {
            while (next < found.Count && found[next].Pos == i)
            {
                var (_, name, kind) = found[next++];
                result.Add(new LockDeclaration(name, kind, scopes.Count > 0 ? scopes.Peek() : null, line));
            }

            if (i == code.Length)
            {
                break;
            }

            switch (code[i])
            {
                case '\n':
                    line++;
                    break;
                case '{':
                    var before = code.Substring(Math.Max(0, i - 200), Math.Min(i, 200));
                    var opening = StructOpening.Match(before);
                    scopes.Push(opening.Success ? opening.Groups["name"].Value : scopes.Count > 0 ? scopes.Peek() : null);
                    break;
                case '}':
                    if (scopes.Count > 0)
                    {
                        scopes.Pop();
                    }

                    break;
            }
        }

        return new LockDeclarations(result);
    }

    /// <summary>The kind of a row's lock: its member name (after the last <c>-&gt;</c> or <c>.</c>) or global name,
    /// declared in the struct the row names if it is, else anywhere in the header as long as every such declaration
    /// agrees.</summary>
    public KindInference Infer(string rowName)
    {
        int sep = Math.Max(rowName.LastIndexOf("->", StringComparison.Ordinal), rowName.LastIndexOf('.'));
        string member = sep < 0 ? rowName : rowName.Substring(rowName[sep] == '.' ? sep + 1 : sep + 2);
        string? owner = null;
        if (sep >= 0)
        {
            var prefix = rowName.Substring(0, sep);
            owner = Regex.Match(prefix, @"[A-Za-z_]\w*$").Value;
        }

        var named = All.Where(d => d.Name == member).ToList();
        var own = named.Where(d => d.Struct == owner).ToList();
        var use = own.Count > 0 ? own : named;
        if (use.Count == 0)
        {
            return new KindInference(null, $"the header declares no '{member}' (spinlock_t, rwlock_t, struct mutex, struct rw_semaphore or struct semaphore)");
        }

        var kinds = use.Select(d => d.Kind).Distinct(StringComparer.Ordinal).ToList();
        if (kinds.Count > 1)
        {
            return new KindInference(null, $"the header's declarations of '{member}' disagree: " + string.Join(", ", use.Select(d => $"{d.Kind} at line {d.Line}" + (d.Struct is null ? "" : $" in struct {d.Struct}"))));
        }

        var at = use[0];
        return new KindInference(kinds[0], $"the header declares '{member}' as a {kinds[0]} (line {at.Line}" + (at.Struct is null ? ")" : $", in struct {at.Struct})"));
    }

    private static string KindOf(string type) => type switch
    {
        "struct mutex" => "mutex",
        "struct rw_semaphore" => "rwsem",
        "struct semaphore" => "semaphore",
        _ => "spinlock",
    };
}
