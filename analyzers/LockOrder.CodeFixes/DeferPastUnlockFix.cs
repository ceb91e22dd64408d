using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace LockOrder.CodeFixes;

/// <summary>
/// LOCK002 and LOCK010, "defer past the unlock" (the kernel's own fix for the seed's dput and kref_put under
/// fid_lock): moves the call that may sleep, or the put that may free the lock's owner, to just after the release
/// of the lock the diagnostic names. Offered only when a stated condition makes it safe:
/// <list type="bullet">
/// <item>the call is a statement of its own whose value is not used (<c>x.Put(release);</c>, <c>d?.Put();</c>);</item>
/// <item>the release is a later statement of a block around the call (an unlock call, or the end of the
/// <c>lock</c> statement or <c>try/finally</c> that releases), and between the two the call is reached only
/// through blocks and <c>if</c>/<c>else</c> branches (a call in a branch is deferred behind a flag the branch
/// sets); no loop, <c>switch</c>, <c>try</c>, other lock statement or function lies between;</item>
/// <item>what runs after the call until the release does not mention a local or parameter the call mentions, does
/// not release the lock elsewhere, and cannot leave the region except through the release (no <c>return</c>,
/// <c>throw</c>, <c>goto</c>, <c>yield</c>, nor a <c>break</c> or <c>continue</c> out of it); so the call is the
/// last use of the state it reads, and nothing after it in the region depends on it;</item>
/// <item>a member the table says that lock protects, read by the call's receiver or arguments, is read into a local
/// under the lock first (unconditional calls only; in a branch the fix is withheld).</item>
/// </list>
/// Exceptional exits are not part of the condition: if a statement between the two throws, the deferred call no
/// longer runs on that path.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DeferPastUnlockFix)), Shared]
public sealed class DeferPastUnlockFix : PlannedFix
{
    public const string EquivalenceKey = "LockOrder.DeferPastUnlock";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.SleepInAtomic, RuleIds.HeldWhileFreed);

    public DeferPastUnlockFix() : base(EquivalenceKey, PlanAsync, SequentialFixAll.Statement, needsRelated: true)
    {
    }

    /// <summary>What the fix does to one statement, or null when it is not provably safe.</summary>
    internal static async Task<SequentialFixAll.Plan?> PlanAsync(Document document, SyntaxNode targetNode, SyntaxNode heldNode, CancellationToken cancellationToken)
    {
        if (targetNode is not ExpressionStatementSyntax call || !IsCallWhoseValueIsUnused(call.Expression))
        {
            return null;
        }

        // A call this fix already deferred behind a flag (if (deferredPut) x.Put();) moves with its flag's test.
        StatementSyntax statement = call;
        if (call.Parent is IfStatementSyntax { Else: null, Condition: IdentifierNameSyntax } guarded && guarded.Statement == call)
        {
            statement = guarded;
        }

        var facts = await EngineFacts.ForNodeAsync(document, statement, cancellationToken).ConfigureAwait(false);
        if (facts?.HeldAt(statement, heldNode) is not { } held)
        {
            return null;
        }

        // The release to move past: the first release statement after the call, in a block around it.
        foreach (var release in facts.ReleasesOf(held).Distinct().OrderBy(r => r.SpanStart))
        {
            if (PlaceOf(statement, release) is { } placement
                && Safe(statement, placement, facts, held, cancellationToken) is { } captures)
            {
                var name = Callee(call.Expression);
                var title = $"Move '{name}' after {held.Class.Display} is released";
                return new SequentialFixAll.Plan(title, ct => Task.FromResult(Apply(document, facts.SemanticModel, statement, placement, captures, name, ct)));
            }
        }

        return null;
    }

    /// <summary>Where a release stands relative to the call: the block both are in, the statement of that block
    /// after which the call goes, the statement of that block that contains the call, and the path up to it.</summary>
    private sealed record Placement(BlockSyntax Block, StatementSyntax InsertAfter, StatementSyntax Container, bool Conditional, ImmutableArray<StatementSyntax> Between);

    private static Placement? PlaceOf(StatementSyntax statement, StatementSyntax release)
    {
        StatementSyntax? top;
        bool enclosing = release.Span.Contains(statement.Span);
        if (enclosing)
        {
            // lock (x) { ... call; ... }  or  try { ... call; ... } finally { release }
            if (release is TryStatementSyntax tryStatement && !tryStatement.Block.Span.Contains(statement.Span))
            {
                return null;
            }

            top = release;
        }
        else
        {
            top = null;
        }

        if (release.Parent is not BlockSyntax block)
        {
            return null;
        }

        // Walk up from the call to the block's statements: only blocks and if/else branches on the way.
        var between = new List<StatementSyntax>();
        bool conditional = false;
        SyntaxNode node = statement;
        StatementSyntax? container = null;
        while (true)
        {
            var parent = node.Parent;
            switch (parent)
            {
                case BlockSyntax b when b == block:
                    container = (StatementSyntax)node;
                    break;
                case BlockSyntax b:
                    // What runs after the call in its own block (and in each block around it, up to the release's).
                    between.AddRange(b.Statements.Where(s => s.SpanStart > node.Span.End));
                    node = b;
                    continue;
                case IfStatementSyntax ifStatement when ifStatement.Statement == node:
                    conditional = true;
                    node = ifStatement;
                    continue;
                case ElseClauseSyntax { Parent: IfStatementSyntax ifStatement }:
                    conditional = true;
                    node = ifStatement;
                    continue;
                case LockStatementSyntax lockStatement when lockStatement == top:
                case TryStatementSyntax tryStatement when tryStatement == top:
                    node = parent;
                    continue;
                default:
                    return null;
            }

            break;
        }

        if (enclosing)
        {
            // The lock or try statement is the block's statement that holds the call; the call goes after it.
            return container == release ? new Placement(block, release, release, conditional, between.ToImmutableArray()) : null;
        }

        if (release.SpanStart <= container.Span.End)
        {
            return null;
        }

        between.AddRange(block.Statements.Where(s => s.SpanStart > container.Span.End && s.SpanStart < release.SpanStart));
        return new Placement(block, release, container, conditional, between.ToImmutableArray());
    }

    /// <summary>The expressions to read into locals under the lock (possibly none), or null when the move is not safe.</summary>
    private static ImmutableArray<ExpressionSyntax>? Safe(StatementSyntax statement, Placement placement, EngineFacts facts, HeldLock held, CancellationToken cancellationToken)
    {
        var semanticModel = facts.SemanticModel;
        var mentioned = Variables(statement, semanticModel, cancellationToken);
        foreach (var later in placement.Between)
        {
            if (LeavesTheRegion(later)
                || Variables(later, semanticModel, cancellationToken).Overlaps(mentioned)
                || facts.ReleasesOf(held).Any(r => later.Span.Contains(r.Span) || r.Span.Contains(later.Span) && r != placement.InsertAfter))
            {
                return null;
            }
        }

        // Members the lock protects, read by the call's operands: read them under the lock.
        var protectedReads = ProtectedReads(statement, held, facts, cancellationToken);
        if (protectedReads.Length > 0 && placement.Conditional)
        {
            return null;
        }

        return protectedReads;
    }

    /// <summary>A statement that can leave the region other than by running to its end.</summary>
    private static bool LeavesTheRegion(StatementSyntax statement)
    {
        foreach (var node in statement.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)))
        {
            switch (node)
            {
                case ReturnStatementSyntax or ThrowStatementSyntax or ThrowExpressionSyntax or GotoStatementSyntax or YieldStatementSyntax:
                    return true;
                case BreakStatementSyntax or ContinueStatementSyntax when !InsideLoopWithin(node, statement):
                    return true;
            }
        }

        return false;
    }

    private static bool InsideLoopWithin(SyntaxNode jump, StatementSyntax within)
    {
        for (var node = jump.Parent; node is not null && node != within.Parent; node = node.Parent)
        {
            if (node is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax
                || node is SwitchSectionSyntax && jump is BreakStatementSyntax)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The locals and parameters a node mentions.</summary>
    private static HashSet<ISymbol> Variables(SyntaxNode node, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var result = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var name in node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
        {
            if (semanticModel.GetSymbolInfo(name, cancellationToken).Symbol is { Kind: SymbolKind.Local or SymbolKind.Parameter } symbol)
            {
                result.Add(symbol);
            }
        }

        return result;
    }

    /// <summary>The receiver or argument expressions of the call that read a member the held lock's row protects
    /// (<c>Dentry</c> in <c>Dentry.Put()</c>, <c>e.Dentry</c> in <c>e.Dentry.Put()</c>), outermost first.</summary>
    private static ImmutableArray<ExpressionSyntax> ProtectedReads(StatementSyntax statement, HeldLock held, EngineFacts facts, CancellationToken cancellationToken)
    {
        if (held.Class.Decl is null)
        {
            return ImmutableArray<ExpressionSyntax>.Empty;
        }

        var reads = new List<ExpressionSyntax>();
        foreach (var expression in statement.DescendantNodes().OfType<ExpressionSyntax>())
        {
            // A member read: a simple name, or a member access, not the name part of a member access.
            if (expression is not (IdentifierNameSyntax or MemberAccessExpressionSyntax)
                || expression.Parent is MemberAccessExpressionSyntax parent && parent.Name == expression)
            {
                continue;
            }

            if (facts.SemanticModel.GetSymbolInfo(expression, cancellationToken).Symbol is { Kind: SymbolKind.Field or SymbolKind.Property } member
                && facts.Model.Knowledge.ProtectorOf(member) is { } row && ReferenceEquals(row, held.Class.Decl)
                && !reads.Any(r => r.Span.Contains(expression.Span)))
            {
                reads.RemoveAll(r => expression.Span.Contains(r.Span));
                reads.Add(expression);
            }
        }

        return reads.ToImmutableArray();
    }

    private static bool IsCallWhoseValueIsUnused(ExpressionSyntax expression) => expression switch
    {
        InvocationExpressionSyntax => true,
        ConditionalAccessExpressionSyntax { WhenNotNull: var whenNotNull } => IsCallWhoseValueIsUnused(whenNotNull),
        _ => false,
    };

    /// <summary>
    /// For a call this fix deferred behind a flag before (<c>if (deferredPut) x.Put();</c>), the flag's declaration
    /// (<c>var deferredPut = false;</c>) when it stands in the region being crossed and nothing but that declaration,
    /// <c>deferredPut = true;</c> and this test mention the flag: it can move out as it is.
    /// </summary>
    private static LocalDeclarationStatementSyntax? ExistingFlag(StatementSyntax statement, Placement placement, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        if (statement is not IfStatementSyntax { Condition: IdentifierNameSyntax condition }
            || semanticModel.GetSymbolInfo(condition, cancellationToken).Symbol is not ILocalSymbol flag
            || flag.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.FalseLiteralExpression }, Parent.Parent: LocalDeclarationStatementSyntax declaration }
            || declaration.Declaration.Variables.Count != 1 || !placement.Container.Span.Contains(declaration.Span))
        {
            return null;
        }

        var uses = placement.Block.DescendantNodes().OfType<IdentifierNameSyntax>().Where(n => n.Identifier.ValueText == flag.Name
            && SymbolEqualityComparer.Default.Equals(semanticModel.GetSymbolInfo(n, cancellationToken).Symbol, flag));
        bool onlySetsAndTheTest = uses.All(n => n == condition
            || n.Parent is AssignmentExpressionSyntax { Right: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.TrueLiteralExpression } } set && set.Left == n);
        bool nameFree = !placement.Block.DescendantNodes().OfType<VariableDeclaratorSyntax>().Any(v => v.Identifier.ValueText == flag.Name && v.Parent?.Parent != declaration);
        return onlySetsAndTheTest && nameFree ? declaration : null;
    }

    /// <summary>How the fix's title names the call: <c>Kref.Put</c>, <c>Put</c>.</summary>
    private static string Callee(ExpressionSyntax expression) => expression switch
    {
        InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } => member.Name.Identifier.ValueText,
        InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax binding } => binding.Name.Identifier.ValueText,
        InvocationExpressionSyntax invocation => invocation.Expression.ToString(),
        ConditionalAccessExpressionSyntax access => Callee(access.WhenNotNull),
        _ => expression.ToString(),
    };

    private static Document Apply(Document document, SemanticModel semanticModel, StatementSyntax statement, Placement placement,
        ImmutableArray<ExpressionSyntax> captures, string callee, CancellationToken cancellationToken)
    {
        var root = statement.SyntaxTree.GetRoot(cancellationToken);
        var editor = new SyntaxEditor(root, document.Project.Solution.Services);
        var taken = new HashSet<string>(semanticModel.LookupSymbols(statement.SpanStart).Select(s => s.Name));
        foreach (var declared in placement.Block.DescendantNodes().OfType<VariableDeclaratorSyntax>())
        {
            taken.Add(declared.Identifier.ValueText);
        }

        string Fresh(string stem)
        {
            var name = stem;
            for (int i = 2; taken.Contains(name); i++)
            {
                name = stem + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            taken.Add(name);
            return name;
        }

        // Read protected members into locals where the call was, under the lock.
        // The statement moves with its comments (not the blank lines or indentation before them); the formatter
        // indents it where it lands.
        var eol = FixSyntax.EndOfLine(root);
        var kept = statement.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia)).SkipWhile(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        var moved = statement.WithLeadingTrivia(new[] { SyntaxFactory.ElasticMarker }.Concat(kept));
        var readsUnderLock = new List<StatementSyntax>();
        foreach (var capture in captures)
        {
            var member = capture is MemberAccessExpressionSyntax access ? access.Name.Identifier.ValueText : ((IdentifierNameSyntax)capture).Identifier.ValueText;
            var local = Fresh(char.ToLowerInvariant(member[0]) + member.Substring(1));
            readsUnderLock.Add(FixSyntax.Statement($"var {local} = {capture.WithoutTrivia()};", eol));
            moved = moved.ReplaceNode(moved.DescendantNodes().OfType<ExpressionSyntax>().First(e => SyntaxFactory.AreEquivalent(e, capture)), SyntaxFactory.IdentifierName(local).WithTriviaFrom(capture));
        }

        StatementSyntax deferred = moved.WithAdditionalAnnotations(Formatter.Annotation);
        if (placement.Conditional && ExistingFlag(statement, placement, semanticModel, cancellationToken) is { } flagDeclaration)
        {
            // Deferred once already behind a flag, and now past an outer release: the flag's declaration moves out
            // with it, rather than a second flag around the first.
            editor.RemoveNode(flagDeclaration, SyntaxRemoveOptions.KeepNoTrivia);
            editor.InsertBefore(placement.Container, FixSyntax.OnItsOwnLine(flagDeclaration.WithoutTrivia(), eol));
            editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
        }
        else if (placement.Conditional)
        {
            // The flag takes the call's place, with its comments; the deferred call goes without them.
            var flag = Fresh("deferred" + char.ToUpperInvariant(callee[0]) + callee.Substring(1));
            editor.InsertBefore(placement.Container, FixSyntax.Statement($"var {flag} = false;", eol));
            editor.ReplaceNode(statement, SyntaxFactory.ParseStatement($"{flag} = true;").WithTriviaFrom(statement).WithAdditionalAnnotations(Formatter.Annotation));
            deferred = SyntaxFactory.IfStatement(SyntaxFactory.IdentifierName(flag), deferred.WithLeadingTrivia(SyntaxFactory.ElasticMarker)).WithAdditionalAnnotations(Formatter.Annotation);
        }
        else if (readsUnderLock.Count > 0)
        {
            editor.InsertBefore(statement, readsUnderLock.Select((s, i) => i == 0 ? s.WithLeadingTrivia(statement.GetLeadingTrivia()) : s));
            editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
        }
        else
        {
            editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
        }

        editor.InsertAfter(placement.InsertAfter, deferred);
        return document.WithSyntaxRoot(editor.GetChangedRoot());
    }
}
