using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Engine.Knowledge;

/// <summary>
/// Which bodies are worth binding at all, decided from their syntax alone, before the compiler is asked for a
/// semantic model's bound tree: a build binds every body once for itself, and an analyzer that asks for the bound
/// tree of every body binds it all a second time (the bulk of what an analyzer costs a build). A body can only give
/// a rule something to say when it could take or release a lock, make a delegate, or touch a protected member; so
/// it is bound only when its syntax has one of:
/// <list type="bullet">
/// <item>a <c>lock</c> statement, a lambda, an anonymous method or a local function;</item>
/// <item>a name of a lock API member (built-in or the table's <c>primitives</c>), or of a member the table's
/// <c>protects</c> lists;</item>
/// <item>a name that is not called and may be a method group: it names a method declared in the compilation or a
/// blocking call (the built-in catalog, the table's <c>blocking</c>, <c>lockorder.blocking_methods</c>), or, with
/// <c>lockorder.unknown_calls_may_sleep</c>, any name passed as an argument or assigned.</item>
/// </list>
/// The test is by name, so it can only let through more than needed, never less: a body it lets through is then
/// judged on its bound tree (<see cref="LockModel.MayMatter"/>). Bodies it skips are still analysed when a summary
/// needs them (a call under a lock reaches them).
/// </summary>
internal sealed class BodyFilter
{
    private readonly Compilation _compilation;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _blockingTypes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _blockingNames = new(StringComparer.Ordinal);
    private readonly bool _anyArgument;
    private readonly MethodNames _methodNames;
    private readonly Lazy<Dictionary<int, WordKind>> _words;
    private readonly HashSet<string> _actingNames = new(StringComparer.Ordinal);
    private readonly Lazy<(HashSet<int> Words, bool Hidden)> _alone;

    public BodyFilter(Compilation compilation, LockTable table, LockOptions options, MethodNames methodNames)
    {
        _compilation = compilation;
        _methodNames = methodNames;
        _anyArgument = options.UnknownCallsMaySleep;
        _words = new Lazy<Dictionary<int, WordKind>>(Words, LazyThreadSafetyMode.ExecutionAndPublication);
        foreach (var api in LockApi.BuiltIn.Concat(table.Primitives.Select(LockApi.FromTable)))
        {
            _names.UnionWith(api.Members.Select(m => Last(m.Name)));
            _actingNames.UnionWith(api.Members.Select(m => Last(m.Name)));
        }

        foreach (var decl in table.Locks)
        {
            _names.UnionWith(decl.Protects.Select(p => Last(p.Value)));
        }

        foreach (var api in BlockingCatalog.BuiltIn)
        {
            _blockingNames.UnionWith(api.Members);
            if (api.EveryMethod)
            {
                _blockingTypes.Add(Last(api.Type));
            }
        }

        _blockingNames.UnionWith(table.Blocking.Select(b => Last(b.Value)));
        _blockingNames.UnionWith(options.BlockingMethods.Select(Last));
        _actingNames.UnionWith(_blockingNames.Concat(_blockingTypes));
        _actingNames.UnionWith(LockKnowledge.BuiltInInvokers.Concat(options.InvokerMethods).Concat(table.Invokes.Select(i => i.Value)).Concat(table.Frees.Select(f => f.Value)).Select(Last));
        _actingNames.Add("lock");
        _alone = new Lazy<(HashSet<int>, bool)>(AloneWords, LazyThreadSafetyMode.ExecutionAndPublication);
    }


    private readonly ConcurrentDictionary<SyntaxTree, Lazy<Dictionary<long, bool>>> _decided = new();

    /// <summary>Whether the body's syntax may take or release a lock, make a delegate, or touch a protected
    /// member (see the class). The bodies of a tree are decided together, once, whichever rule asks first: every
    /// rule asks about every body, and a per-body concurrent map was contended by them all (a build's profile
    /// showed more time in the map than in the decisions). A tree's decisions are read without a lock.</summary>
    public bool MayMatter(SyntaxNode body, CancellationToken cancellationToken)
    {
        var decided = _decided.GetOrAdd(body.SyntaxTree, tree => new Lazy<Dictionary<long, bool>>(
            () => DecideTree(tree, cancellationToken), LazyThreadSafetyMode.ExecutionAndPublication));
        Dictionary<long, bool> bodies;
        try
        {
            bodies = decided.Value;
        }
        catch (OperationCanceledException)
        {
            // The asker that started the tree was cancelled (the IDE drops a stale request): let the next one
            // decide it again rather than keep the cancellation.
            ((ICollection<KeyValuePair<SyntaxTree, Lazy<Dictionary<long, bool>>>>)_decided).Remove(new KeyValuePair<SyntaxTree, Lazy<Dictionary<long, bool>>>(body.SyntaxTree, decided));
            cancellationToken.ThrowIfCancellationRequested();
            return Decide(body, cancellationToken);
        }

        // A code block the tree's walk does not list (none is expected) is decided on its own.
        return bodies.TryGetValue(Key(body), out var known) ? known : Decide(body, cancellationToken);
    }

    /// <summary>A code block of a tree by its start and kind (no two share both): a key that hashes without the
    /// object header, which a map keyed by node made every body pay for.</summary>
    private static long Key(SyntaxNode node) => ((long)node.SpanStart << 16) | (ushort)node.RawKind;

    /// <summary>The tree's text, copied once into this thread's buffer for the bodies' pre-checks.</summary>
    private static char[] Text(SyntaxTree tree, CancellationToken cancellationToken)
    {
        var text = tree.GetText(cancellationToken);
        var chars = Buffer(text.Length);
        text.CopyTo(0, chars, 0, text.Length);
        return chars;
    }

    /// <summary>Every code block of the tree (the nodes a code-block action is given: a method's, an accessor's,
    /// a property's arrow, top-level statements' unit), each decided.</summary>
    [MethodImpl(Jit.Optimized)]
    private Dictionary<long, bool> DecideTree(SyntaxTree tree, CancellationToken cancellationToken)
    {
        var root = tree.GetRoot(cancellationToken);
        var decided = new Dictionary<long, bool>();
        char[]? text = null;
        if (root is CompilationUnitSyntax unit && unit.Members.Any(m => m is GlobalStatementSyntax))
        {
            decided[Key(unit)] = Decide(unit, cancellationToken);
        }

        foreach (var node in root.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax
                     or BasePropertyDeclarationSyntax or AccessorListSyntax))
        {
            if (node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax
                || node is ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax })
            {
                cancellationToken.ThrowIfCancellationRequested();
                text ??= Text(tree, cancellationToken);
                decided[Key(node)] = TextMayMatter(node, text) ? Decide(node, cancellationToken) : TextMayHaveLocalFunction(node, text) && HasLocalFunction(node);
            }
        }

        return decided;
    }

    // ---- the deepest summaries ------------------------------------------------------------------------------

    /// <summary>
    /// Whether a method's own body may give its summary anything when none of its calls is followed (a summary with
    /// no call left to spend, the deepest a lock region reaches: see <see cref="Calls.Summaries"/>): take a lock,
    /// make a blocking call, free an object by the table's <c>frees</c>, or run a delegate it was given. False only
    /// when none of them can happen, read from its text and its signature:
    /// <list type="bullet">
    /// <item>a lock is taken by a <c>lock</c> statement or a lock API member, a blocking call is a catalog member,
    /// a member of an every-method blocking type (<c>File</c>, <c>Directory</c>, <c>Parallel</c>, static classes,
    /// so spelled at the call unless a <c>using static</c> or an alias of one hides it: then this is never false),
    /// a table or option blocking method, and an object is freed by a table <c>frees</c> method: each is spelled by
    /// its name, which the body's text must not have;</item>
    /// <item>a delegate it was given runs when it invokes a parameter or passes one to a method that runs it (a
    /// framework or table invoker, spelled by its name): so no parameter may be of a type that can hold a delegate
    /// (a delegate type, <c>Delegate</c>, <c>object</c>, <c>dynamic</c>, an interface, a type parameter, or a type
    /// with a user-defined conversion to a delegate type).</item>
    /// </list>
    /// Lambdas, local functions, partial methods and methods without syntax here are always true (analysed as
    /// before), as is every body with <c>lockorder.unknown_calls_may_sleep</c> (any call may sleep). A name in a
    /// comment or a string, or a Unicode escape, only makes it true.
    /// </summary>
    public bool MayActAlone(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (_anyArgument || method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction
            || method.PartialDefinitionPart is not null || method.PartialImplementationPart is not null
            || method.DeclaringSyntaxReferences.IsEmpty || method.Parameters.Any(p => MayHoldDelegate(p.Type)))
        {
            return true;
        }

        var (words, hidden) = _alone.Value;
        if (hidden)
        {
            return true;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_compilation.ContainsSyntaxTree(reference.SyntaxTree) || TextMayAct(reference.SyntaxTree.GetText(cancellationToken), reference.Span, words))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A type a parameter can hold a delegate in (see <see cref="MayActAlone"/>).</summary>
    private static bool MayHoldDelegate(ITypeSymbol type) => type switch
    {
        { TypeKind: TypeKind.Delegate or TypeKind.TypeParameter or TypeKind.Dynamic or TypeKind.Error or TypeKind.Interface } => true,
        { SpecialType: SpecialType.System_Object or SpecialType.System_Delegate or SpecialType.System_MulticastDelegate } => true,
        INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable => MayHoldDelegate(nullable.TypeArguments[0]),
        INamedTypeSymbol named => ConvertsToDelegate(named),
        _ => false,
    };

    private static bool ConvertsToDelegate(INamedTypeSymbol type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            foreach (var member in t.GetMembers(WellKnownMemberNames.ImplicitConversionName).Concat(t.GetMembers(WellKnownMemberNames.ExplicitConversionName)))
            {
                if (member is IMethodSymbol { ReturnType: var target }
                    && (target.TypeKind is TypeKind.Delegate or TypeKind.TypeParameter || target.SpecialType is SpecialType.System_Delegate or SpecialType.System_MulticastDelegate))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether the text in <paramref name="span"/> has one of <paramref name="words"/>, a Unicode escape or
    /// a formatting character in a word (which may spell a name other than as it reads).</summary>
    [MethodImpl(Jit.Optimized)]
    private static bool TextMayAct(SourceText text, TextSpan span, HashSet<int> words)
    {
        var chars = Buffer(span.Length);
        text.CopyTo(span.Start, chars, 0, span.Length);
        uint hash = 0;
        bool inWord = false;
        for (int i = 0; i <= span.Length; i++)
        {
            char c = i < span.Length ? chars[i] : ' ';
            if (c == '\\' && i + 1 < span.Length && chars[i + 1] is 'u' or 'U')
            {
                return true;
            }

            if (IsWordChar(c))
            {
                if (c > 127 && (char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
                {
                    return true;
                }

                hash = inWord ? Add(hash, c) : Add(Offset, c);
                inWord = true;
            }
            else if (inWord)
            {
                if (words.Contains(unchecked((int)hash)))
                {
                    return true;
                }

                inWord = false;
            }
        }

        return false;
    }

    /// <summary>The hashes of the names a body acts by alone (see <see cref="MayActAlone"/>), and whether some
    /// tree hides an every-method blocking type behind a <c>using static</c> or an alias (each tree's directives
    /// read once, <see cref="TreeUsings"/>).</summary>
    private (HashSet<int> Words, bool Hidden) AloneWords()
    {
        var words = new HashSet<int>(_actingNames.Select(Hash));
        bool hidden = _compilation.SyntaxTrees.Select(tree => TreeUsings.Of(tree, CancellationToken.None))
            .Any(usings => usings.Statics.Any(_blockingTypes.Contains) || usings.Aliases.Any(a => _blockingTypes.Contains(a.Target)));
        return (words, hidden);
    }

    // ---- the text pre-check ---------------------------------------------------------------------------------

    /// <summary>
    /// Whether the body's text has anything <see cref="Decide"/> could stop at, other than a local function: the
    /// words <c>lock</c> or <c>delegate</c>, an <c>=&gt;</c> (its own expression body's arrow aside), a word that is
    /// a lock API member's or a protected member's name, or a word that is a source method's or a blocking call's
    /// name (or a blocking type's) and is not followed by <c>(</c>. False means <see cref="Decide"/> can only find a
    /// local function, which <see cref="HasLocalFunction"/> looks for among the statements alone.
    /// <para>
    /// A pre-check, so it may say yes too often (a word in a comment or a string, a hash that collides, a name
    /// followed by a comment), never no where a node would say yes: a lock statement, a lambda and an anonymous
    /// method are spelled by those tokens, and a simple name's text is its value (escapes and formatting characters
    /// aside, which send the body to <see cref="Decide"/>); a name followed by <c>(</c> is called, created,
    /// declared or a pattern's type, never a method group. Most bodies of a project say no here, and reading their
    /// text is several times cheaper than walking their nodes (the walk made most of the filter's cost in a build).
    /// Hand-written: a scan of a <see cref="SourceText"/>, as <see cref="Calls.NameIndex"/> does.
    /// </para>
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private bool TextMayMatter(SyntaxNode body, char[] text)
    {
        if (_anyArgument)
        {
            return true;
        }

        var ownArrow = body switch
        {
            BaseMethodDeclarationSyntax { ExpressionBody: { } arrow } => arrow.ArrowToken.Span,
            AccessorDeclarationSyntax { ExpressionBody: { } arrow } => arrow.ArrowToken.Span,
            ArrowExpressionClauseSyntax arrow => arrow.ArrowToken.Span,
            _ => default,
        };
        var span = body.Span;
        var chars = text;
        var words = _words.Value;
        int skipFrom = ownArrow.IsEmpty ? -1 : ownArrow.Start;
        uint hash = 0;
        int wordStart = -1;
        for (int i = span.Start; i <= span.End; i++)
        {
            char c = i < span.End ? chars[i] : ' ';
            if (c == '\\' && i + 1 < span.End && chars[i + 1] is 'u' or 'U')
            {
                return true; // A Unicode escape may spell a name other than as it reads.
            }

            if (IsWordChar(c))
            {
                if (c > 127 && (char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
                {
                    return true; // The lexer drops a formatting character from a name, and a surrogate ends one.
                }

                hash = wordStart < 0 ? Add(Offset, c) : Add(hash, c);
                wordStart = wordStart < 0 ? i : wordStart;
                continue;
            }

            if (wordStart >= 0)
            {
                if (words.TryGetValue(unchecked((int)hash), out var kind) && (kind == WordKind.Always || !FollowedByParenthesis(chars, i, span.End)))
                {
                    return true;
                }

                wordStart = -1;
            }

            if (c == '=' && i + 1 < span.End && chars[i + 1] == '>' && i != skipFrom)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the body's block may declare a local function, from its text: when the text pre-check has said no, a
    /// local function can only have a block body (an arrow would have been seen), so its parameter list's <c>)</c>
    /// is followed by <c>{</c> or <c>where</c>, and the name before the list's <c>(</c> follows its return type. This
    /// says no where every such <c>) {</c> belongs to a statement (<c>if</c>, <c>while</c>, <c>for</c>,
    /// <c>foreach</c>, <c>using</c>, <c>fixed</c>, <c>switch</c>, <c>catch</c>) or to an object creation with an
    /// initializer (a name after <c>new</c>, <c>.</c> or <c>:</c>), and there is no <c>extern</c> (a local
    /// function without a body). Anything it cannot read plainly (a comment or a directive after the <c>)</c>, a
    /// quote or a slash inside the parentheses, a verbatim name) is a maybe, settled by <see cref="HasLocalFunction"/>.
    /// Most bodies say no here, before any of their nodes is made: a block's statements are held weakly by their
    /// tree, so a walk of the statements of a body nobody binds makes them anew.
    /// </summary>
    [MethodImpl(Jit.Optimized)]
    private static bool TextMayHaveLocalFunction(SyntaxNode body, char[] text)
    {
        var block = body switch
        {
            BaseMethodDeclarationSyntax method => method.Body,
            AccessorDeclarationSyntax accessor => accessor.Body,
            _ => null, // An arrow's expression holds no statement outside a lambda.
        };
        if (block is null)
        {
            return false;
        }

        var span = block.Span;
        int wordStart = -1;
        for (int i = span.Start; i < span.End; i++)
        {
            char c = text[i];
            if (IsWordChar(c))
            {
                wordStart = wordStart < 0 ? i : wordStart;
                continue;
            }

            if (wordStart >= 0 && IsWord(text, wordStart, i, "extern"))
            {
                return true;
            }

            wordStart = -1;
            if (c == ')' && ClosesLocalFunctionHeader(text, i, span))
            {
                return true;
            }
        }

        return wordStart >= 0 && IsWord(text, wordStart, span.End, "extern");
    }

    /// <summary>The text gate alone, on a body's own tree (what tests ask).</summary>
    internal static bool TextMayHaveLocalFunction(SyntaxNode body) => TextMayHaveLocalFunction(body, Text(body.SyntaxTree, CancellationToken.None));

    /// <summary>Whether the <c>)</c> at <paramref name="close"/> may end a local function's parameter list (see
    /// <see cref="TextMayHaveLocalFunction"/>): true unless it is plainly something else.</summary>
    private static bool ClosesLocalFunctionHeader(char[] text, int close, TextSpan span)
    {
        int next = SkipSpace(text, close + 1, span.End, +1);
        if (next >= span.End)
        {
            return false;
        }

        if (text[next] is '/' or '#')
        {
            return true; // A comment or a directive: not read.
        }

        if (text[next] != '{' && !(IsWord(text, next, Math.Min(next + 5, span.End), "where") && (next + 5 >= span.End || !IsWordChar(text[next + 5]))))
        {
            return false;
        }

        // The matching '(' (a quote, a slash or a directive inside: not read).
        int depth = 0, open = close;
        for (; open >= span.Start; open--)
        {
            char c = text[open];
            if (c is '"' or '\'' or '/' or '#')
            {
                return true;
            }

            depth += c == ')' ? 1 : c == '(' ? -1 : 0;
            if (depth == 0)
            {
                break;
            }
        }

        if (open < span.Start)
        {
            return true;
        }

        int end = SkipSpace(text, open - 1, span.Start - 1, -1);
        if (end > span.Start && text[end] == '>')
        {
            // A generic name's type parameters.
            int angle = 0;
            for (; end >= span.Start; end--)
            {
                angle += text[end] == '>' ? 1 : text[end] == '<' ? -1 : 0;
                if (angle == 0)
                {
                    break;
                }
            }

            if (end <= span.Start)
            {
                return true;
            }

            end = SkipSpace(text, end - 1, span.Start - 1, -1);
        }

        int start = end;
        while (start >= span.Start && IsWordChar(text[start]))
        {
            start--;
        }

        if (start == end || start < span.Start || text[start] == '@')
        {
            return true; // No name, or a verbatim one (@if): not read.
        }

        foreach (var keyword in HeaderKeywords)
        {
            if (IsWord(text, start + 1, end + 1, keyword))
            {
                return false;
            }
        }

        int before = SkipSpace(text, start, span.Start - 1, -1);
        if (before >= span.Start && text[before] is '.' or ':')
        {
            return false; // A qualified name: a type created, never a local function's name.
        }

        return !(before >= span.Start + 2 && IsWord(text, before - 2, before + 1, "new") && (before - 3 < span.Start || !IsWordChar(text[before - 3])));
    }

    /// <summary>The words before a <c>(</c> whose <c>) {</c> is not a local function's: the statements with a
    /// parenthesised head and a block, and a target-typed creation with an initializer (<c>new(...) { }</c>).</summary>
    private static readonly string[] HeaderKeywords = { "if", "while", "for", "foreach", "using", "fixed", "switch", "catch", "new" };

    /// <summary>The first position from <paramref name="from"/> on, going by <paramref name="step"/>, that is not
    /// a space or a line break (or <paramref name="stop"/>).</summary>
    private static int SkipSpace(char[] text, int from, int stop, int step)
    {
        int i = from;
        while (i != stop && text[i] is ' ' or '\t' or '\r' or '\n')
        {
            i += step;
        }

        return i;
    }

    private static bool IsWord(char[] text, int start, int end, string word)
    {
        if (end - start != word.Length)
        {
            return false;
        }

        for (int k = 0; k < word.Length; k++)
        {
            if (text[start + k] != word[k])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether the body declares a local function, read from its statements alone: outside a lambda or an
    /// anonymous method (which the text pre-check has already let through) no expression holds a statement, so only
    /// the nodes that hold statements are entered (a block, a statement with a statement inside, a switch section, a
    /// catch, a finally, an else), not a declaration's or an expression statement's parts. A hand-written descent:
    /// this runs on every body the text check lets go, most bodies of a project, and the general walk of every node
    /// below a statement made it the filter's largest cost.</summary>
    [MethodImpl(Jit.Optimized)]
    private static bool HasLocalFunction(SyntaxNode body)
    {
        foreach (var child in body.ChildNodes())
        {
            switch ((SyntaxKind)child.RawKind)
            {
                case SyntaxKind.LocalFunctionStatement:
                    return true;
                case SyntaxKind.Block or SyntaxKind.IfStatement or SyntaxKind.ElseClause or SyntaxKind.WhileStatement or SyntaxKind.DoStatement
                    or SyntaxKind.ForStatement or SyntaxKind.ForEachStatement or SyntaxKind.ForEachVariableStatement or SyntaxKind.UsingStatement
                    or SyntaxKind.LockStatement or SyntaxKind.FixedStatement or SyntaxKind.CheckedStatement or SyntaxKind.UncheckedStatement
                    or SyntaxKind.UnsafeStatement or SyntaxKind.LabeledStatement or SyntaxKind.TryStatement or SyntaxKind.CatchClause
                    or SyntaxKind.FinallyClause or SyntaxKind.SwitchStatement or SyntaxKind.SwitchSection or SyntaxKind.GlobalStatement:
                    if (HasLocalFunction(child))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    private static bool FollowedByParenthesis(char[] chars, int i, int length)
    {
        while (i < length && chars[i] is ' ' or '\t' or '\r' or '\n')
        {
            i++;
        }

        return i < length && chars[i] == '(';
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWordChar(char c)
        => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' || c > 127;

    private const uint Offset = 2166136261;

    private static uint Add(uint hash, char c) => unchecked((hash ^ c) * 16777619);

    private static int Hash(string word)
    {
        uint hash = Offset;
        foreach (char c in word)
        {
            hash = Add(hash, c);
        }

        return unchecked((int)hash);
    }

    private enum WordKind
    {
        /// <summary>Called or not: a keyword, a lock API member's or a protected member's name.</summary>
        Always,

        /// <summary>Only when not called: what may be a method group.</summary>
        NotCalled,
    }

    /// <summary>The hashes of the words the pre-check looks for. The source methods' names are read from every
    /// tree's declarations (kept per tree, as for <see cref="MayBeMethodGroup"/>), once per compilation.</summary>
    private Dictionary<int, WordKind> Words()
    {
        var words = new Dictionary<int, WordKind>();
        foreach (var name in _blockingNames.Concat(_blockingTypes).Concat(_compilation.SyntaxTrees.SelectMany(MethodNames.Of)))
        {
            words[Hash(name)] = WordKind.NotCalled;
        }

        foreach (var name in _names.Concat(new[] { "lock", "delegate" }))
        {
            words[Hash(name)] = WordKind.Always;
        }

        return words;
    }

    [ThreadStatic]
    private static char[]? t_buffer;

    private static char[] Buffer(int length)
    {
        if (t_buffer is null || t_buffer.Length < length)
        {
            t_buffer = new char[Math.Max(length, 4096)];
        }

        return t_buffer;
    }

    /// <summary>The decision from the body's nodes alone, without the text pre-check (what tests compare with).</summary>
    internal bool DecideBySyntax(SyntaxNode body) => Decide(body, CancellationToken.None);

    [MethodImpl(Jit.Optimized)]
    private bool Decide(SyntaxNode body, CancellationToken cancellationToken)
    {
        // By kind, not by type test: every node of most bodies passes through here. The checks of a name run
        // cheapest first; whether it is called or inside nameof (an ancestor walk) is asked last.
        foreach (var node in body.DescendantNodes())
        {
            switch ((SyntaxKind)node.RawKind)
            {
                case SyntaxKind.LockStatement or SyntaxKind.SimpleLambdaExpression or SyntaxKind.ParenthesizedLambdaExpression
                    or SyntaxKind.AnonymousMethodExpression or SyntaxKind.LocalFunctionStatement:
                    return true;
                case SyntaxKind.IdentifierName or SyntaxKind.GenericName:
                    var name = (SimpleNameSyntax)node;
                    var text = name.Identifier.ValueText;
                    if (_names.Contains(text) || (MayBeMethodGroup(name, text) && !IsCalledOrReceiver(name)))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    [MethodImpl(Jit.Optimized)]
    private bool MayBeMethodGroup(SimpleNameSyntax name, string text)
    {
        if (!Passed(name))
        {
            return false; // Not where a method group can become a delegate.
        }

        if (_anyArgument || _blockingNames.Contains(text)
            || (name.Parent is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax type } && _blockingTypes.Contains(type.Identifier.ValueText)))
        {
            return true;
        }

        return _methodNames.InSource(text);
    }

    /// <summary>The name is called, is what a member is read from (<c>M.x</c>), or is inside <c>nameof</c>: it
    /// cannot be a method group.</summary>
    private static bool IsCalledOrReceiver(SimpleNameSyntax name)
        => NameUse.IsInvoked(name)
           || NameUse.Expression(name).Parent is MemberAccessExpressionSyntax outer && outer.Expression == NameUse.Expression(name)
           || NameUse.InNameof(name);

    /// <summary>Where a method group can become a delegate: passed as an argument, assigned or subscribed (the
    /// right-hand side), initialising a variable, returned or yielded, cast, a branch of a conditional or a
    /// switch expression, an element of an initializer.</summary>
    private static bool Passed(SimpleNameSyntax name)
    {
        var expression = NameUse.Expression(name);
        while (expression.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized;
        }

        return expression.Parent switch
        {
            ArgumentSyntax or EqualsValueClauseSyntax or ReturnStatementSyntax or YieldStatementSyntax or ArrowExpressionClauseSyntax
                or CastExpressionSyntax or InitializerExpressionSyntax or SwitchExpressionArmSyntax => true,
            AssignmentExpressionSyntax assignment => assignment.Right == expression,
            ConditionalExpressionSyntax conditional => conditional.Condition != expression,
            _ => false,
        };
    }

    private static string Last(string qualified)
    {
        int dot = qualified.LastIndexOf('.');
        return dot < 0 ? qualified : qualified.Substring(dot + 1);
    }
}
