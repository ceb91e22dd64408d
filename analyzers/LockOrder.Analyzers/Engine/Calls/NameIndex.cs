using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Engine.Calls;

/// <summary>
/// Where a name is written as an identifier in a syntax tree (the start positions of its identifier tokens whose
/// parent is a simple name), asked one name at a time, for as long as the tree lives (trees are immutable and shared
/// by the compilations that contain them, so an edit re-reads only the edited tree).
/// <para>
/// Built from the tree's text, not its tokens: walking every token of every tree realises every syntax node of the
/// project, which is what a callers question cost before. The first question about a tree reads its text once for
/// the words it contains (kept as a set of hashes, a few hundred numbers); a name not among them is answered at once.
/// Otherwise the text is searched for the name and each hit is checked against the token there, and the answer is
/// kept for the next question. A tree whose text could spell an identifier other than as it reads (a Unicode
/// escape, <c>\u0041</c>, or a formatting character, which the language drops from identifiers) is indexed the exact
/// way instead, by one walk over its tokens.
/// </para>
/// <para>
/// Hand-written rather than taken from a library: this is a scan of a <see cref="SourceText"/> with Roslyn's own
/// token lookup, a few dozen lines with no counterpart in a maintained package for netstandard2.0 analyzers.
/// </para>
/// </summary>
internal sealed class NameIndex
{
    private static readonly ConditionalWeakTable<SyntaxTree, NameIndex> Trees = new();

    private const int Chunk = 4096;

    private readonly SyntaxTree _tree;
    private readonly HashSet<int>? _words;
    private readonly Dictionary<string, List<int>>? _all;
    private readonly ConcurrentDictionary<string, int[]> _byName = new(StringComparer.Ordinal);

    private NameIndex(SyntaxTree tree, HashSet<int>? words, Dictionary<string, List<int>>? all)
    {
        _tree = tree;
        _words = words;
        _all = all;
    }

    /// <summary>The index of a tree, made on the first question about it.</summary>
    public static NameIndex Of(SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (Trees.TryGetValue(tree, out var known))
        {
            return known;
        }

        var made = Make(tree, cancellationToken);
        return Trees.GetValue(tree, _ => made);
    }

    /// <summary>The simple names spelled <paramref name="name"/> (within <paramref name="span"/>, when given), in
    /// text order.</summary>
    public IEnumerable<SimpleNameSyntax> NamesOf(string name, TextSpan? span, CancellationToken cancellationToken)
    {
        var positions = PositionsOf(name, cancellationToken);
        if (positions.Count == 0)
        {
            yield break;
        }

        var root = _tree.GetRoot(cancellationToken);
        foreach (int position in positions)
        {
            if ((span is not { } within || within.Contains(position)) && root.FindToken(position).Parent is SimpleNameSyntax simple)
            {
                yield return simple;
            }
        }
    }

    /// <summary>The start positions, in text order, of the identifiers spelled <paramref name="name"/> that are
    /// simple names (a call, a member access, a method group, a plain name).</summary>
    public IReadOnlyList<int> PositionsOf(string name, CancellationToken cancellationToken)
    {
        if (_all is not null)
        {
            return _all.TryGetValue(name, out var list) ? list : Array.Empty<int>();
        }

        if (name.Length == 0 || !_words!.Contains(Hash(name)))
        {
            return Array.Empty<int>();
        }

        return _byName.TryGetValue(name, out var found) ? found : _byName.GetOrAdd(name, Search(name, cancellationToken));
    }

    private static NameIndex Make(SyntaxTree tree, CancellationToken cancellationToken)
    {
        var text = tree.GetText(cancellationToken);
        var words = new HashSet<int>();
        var buffer = new char[Chunk];
        uint hash = Fnv.Offset;
        bool inWord = false;
        char previous = '\0';
        for (int start = 0; start < text.Length; start += Chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(Chunk, text.Length - start);
            text.CopyTo(start, buffer, 0, count);
            for (int i = 0; i < count; i++)
            {
                char c = buffer[i];
                if ((c is 'u' or 'U' && previous == '\\') || (c > 127 && CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
                {
                    return new NameIndex(tree, null, ByTokens(tree, cancellationToken));
                }

                previous = c;
                if (IsWordChar(c))
                {
                    hash = Fnv.Add(inWord ? hash : Fnv.Offset, c);
                    inWord = true;
                }
                else if (inWord)
                {
                    words.Add(unchecked((int)hash));
                    inWord = false;
                }
            }
        }

        if (inWord)
        {
            words.Add(unchecked((int)hash));
        }

        return new NameIndex(tree, words, null);
    }

    /// <summary>The exact index: every identifier token of the tree, by its value.</summary>
    private static Dictionary<string, List<int>> ByTokens(SyntaxTree tree, CancellationToken cancellationToken)
    {
        var positions = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (var token in tree.GetRoot(cancellationToken).DescendantTokens())
        {
            if (IsSimpleName(token))
            {
                if (!positions.TryGetValue(token.ValueText, out var list))
                {
                    positions[token.ValueText] = list = new List<int>(2);
                }

                list.Add(token.SpanStart);
            }
        }

        return positions;
    }

    /// <summary>Every place the text spells the name, kept where the token there is an identifier of that value
    /// (not a longer word, a comment, a string, or disabled text, whose hits fall in a token's trivia).</summary>
    private int[] Search(string name, CancellationToken cancellationToken)
    {
        var text = _tree.GetText(cancellationToken);
        var root = _tree.GetRoot(cancellationToken);
        var found = new List<int>();
        var buffer = new char[Chunk + name.Length];
        for (int start = 0; start < text.Length; start += Chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Each window overlaps the next by the name's length less one, so a name across a boundary is seen once.
            int count = Math.Min(Chunk + name.Length - 1, text.Length - start);
            text.CopyTo(start, buffer, 0, count);
            var window = new ReadOnlySpan<char>(buffer, 0, count);
            int offset = 0;
            while (offset + name.Length <= count)
            {
                int at = window.Slice(offset).IndexOf(name.AsSpan());
                if (at < 0 || offset + at >= Chunk)
                {
                    break; // The rest starts in the next window.
                }

                var token = root.FindToken(start + offset + at);
                if (IsSimpleName(token) && token.ValueText == name && (found.Count == 0 || found[found.Count - 1] != token.SpanStart))
                {
                    found.Add(token.SpanStart);
                }

                offset += at + 1;
            }
        }

        return found.ToArray();
    }

    private static bool IsSimpleName(SyntaxToken token)
        => token.RawKind == (int)SyntaxKind.IdentifierToken && token.Parent is SimpleNameSyntax;

    /// <summary>A character an identifier can contain, as the scan reads it: ASCII letters, digits and the
    /// underscore, and every character outside ASCII (letters of other scripts, combining marks); anything else
    /// ends a word. Reading too much as a word only makes a hash that no name asks for.</summary>
    private static bool IsWordChar(char c)
        => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' || c > 127;

    private static int Hash(string name)
    {
        uint hash = Fnv.Offset;
        foreach (char c in name)
        {
            hash = Fnv.Add(hash, c);
        }

        return unchecked((int)hash);
    }

    /// <summary>FNV-1a over UTF-16 code units: the same hash for a word read from the text and a name asked for.</summary>
    private static class Fnv
    {
        public const uint Offset = 2166136261;

        public static uint Add(uint hash, char c) => unchecked((hash ^ c) * 16777619);
    }
}
