using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine.Calls;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;
using V = LockOrder.Tests.Verify<LockOrder.Rules.ProtectedMemberAnalyzer>;

namespace LockOrder.Tests;

/// <summary>
/// The callers of a method are found where its name is written (LOCK006 asks). The name index answers from the
/// tree's text, not its tokens; it must answer exactly what a walk over every identifier token answers: for every
/// name of real sources (the bundled cache, the test corpus) and of sources written to trip a text search (a name
/// in comments, strings and longer words, a verbatim <c>@name</c>, a Unicode escape, a name across the search's
/// window boundary).
/// </summary>
public class NameIndexTests
{
    private static readonly string Root = LockTableTests.RepoFile("");

    public static IEnumerable<object[]> RealSources()
        => Directory.EnumerateFiles(Path.Combine(Root, "sample-cache"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "tests", "LockOrder.Tests", "Corpus"), "*.cs"))
            .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar))
            .Select(f => new object[] { Path.GetRelativePath(Root, f) });

    [Theory]
    [MemberData(nameof(RealSources))]
    public void Real_source_every_name_is_found_where_the_tokens_say(string file)
        => AssertSameAsTokens(File.ReadAllText(Path.Combine(Root, file)));

    [Theory]
    [InlineData("class C { void Tally() { } void M() { /* Tally */ var s = \"Tally\"; Tally(); TallyMore(); } void TallyMore() { } }")]
    [InlineData("class C { void @Tally() { } void M() { @Tally(); this.Tally(); } }")]
    [InlineData("class C { void Tally() { } void M() { T\\u0061lly(); } }")]
    [InlineData("class C { void Tally() { } void M() { var s = \"\\u0041\"; Tally(); } }")]
    [InlineData("class C { void Ta\u00ADlly() { } void M() { Tally(); } }")]
    [InlineData("class Größe { void Maß() { } void M() { Maß(); Größe g = null; } }")]
    [InlineData("class C { void Tally() { }\n#if NEVER\n void N() { Tally(); }\n#endif\n void M() { Tally(); } }")]
    [InlineData("class C { /// <see cref=\"Tally\"/>\n void Tally() { } void M() { nameof(Tally).ToString(); } }")]
    public void Written_to_trip_a_text_search_every_name_is_found_where_the_tokens_say(string source)
        => AssertSameAsTokens(source);

    [Theory]
    [InlineData(4090)]
    [InlineData(4093)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(8190)]
    public void A_name_across_the_search_window_boundary_is_found(int at)
    {
        const string head = "class C { void Tally() { } void M() { ";
        var source = new StringBuilder(head);
        source.Append(' ', at - head.Length).Append("Tally(); Tally(); } }");
        Assert.Equal(at, source.ToString().IndexOf("Tally();", StringComparison.Ordinal));
        var positions = AssertSameAsTokens(source.ToString());
        Assert.Contains(at, positions["Tally"]);
    }

    /// <summary>Every identifier of the tree, and names it does not have, answered as the token walk answers.</summary>
    private static Dictionary<string, IReadOnlyList<int>> AssertSameAsTokens(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview));
        var expected = tree.GetRoot().DescendantTokens()
            .Where(t => t.IsKind(SyntaxKind.IdentifierToken) && t.Parent is SimpleNameSyntax)
            .GroupBy(t => t.ValueText, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => t.SpanStart).ToList(), StringComparer.Ordinal);
        var index = NameIndex.Of(tree, CancellationToken.None);
        var answered = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        foreach (var name in expected.Keys.Concat(new[] { "Absent", "Tal", "ally", "u0061lly" }))
        {
            var actual = index.PositionsOf(name, CancellationToken.None);
            Assert.True(actual.SequenceEqual(expected.TryGetValue(name, out var list) ? list : new List<int>()),
                $"'{name}': expected [{string.Join(", ", list ?? new List<int>())}], got [{string.Join(", ", actual)}]");
            answered[name] = actual;
        }

        Assert.NotEmpty(expected);
        return answered;
    }

    [Fact]
    public Task Caller_spelling_the_name_with_a_Unicode_escape_is_a_caller()
        => V.WithTable("""
            public sealed class Tcon
            {
                public readonly object TcLock = new object();
                public int TcCount;
                private int Tally() => {|LOCK006:TcCount|};
                public int Locked() { lock (TcLock) { return Tally(); } }
                public int Unlocked() => T\u0061lly();
            }
            """, DemandTests.Table);

    [Fact]
    public Task Name_only_in_comments_and_strings_is_not_a_caller()
        => V.WithTable("""
            public sealed class Tcon
            {
                public readonly object TcLock = new object();
                public int TcCount;
                private int Tally() => TcCount;
                public int Locked() { lock (TcLock) { return Tally(); } }
                // Tally() is called only under the lock.
                public string Unlocked() => "Tally()";
            }
            """, DemandTests.Table);
}
