using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace LockOrder.CodeFixes;

/// <summary>
/// LOCK004, "balance it", at a lock taken and not released on every path:
/// <list type="bullet">
/// <item><c>Monitor.Enter(x); ... Monitor.Exit(x);</c> in one block, not protected by <c>finally</c>, becomes
/// <c>lock (x) { ... }</c>, released on every path (an early <c>return</c> and an exception included). Offered when
/// <c>x</c> is a field, local or parameter of a reference type that nothing between assigns, and nothing between
/// awaits, yields, jumps with <c>goto</c>, or enters or exits <c>x</c> again.</item>
/// <item>A lock of another primitive (a custom <c>Lock()</c>/<c>Unlock()</c>, a <c>SpinLock</c>) taken and released
/// in one block, with early <c>return</c>s between that leave it held: the release is added before each of them.
/// Offered when every way out between is such a <c>return</c> (no <c>break</c>, <c>continue</c>, <c>goto</c> or
/// <c>yield</c> out of the region, no loop or function around a <c>return</c>) and each returns nothing, a constant, or
/// a local, so that what it returns is not read after the release.</item>
/// </list>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BalanceFix)), Shared]
public sealed class BalanceFix : PlannedFix
{
    public const string EquivalenceKey = "LockOrder.Balance";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.Unbalanced);

    public BalanceFix() : base(EquivalenceKey, (document, target, _, ct) => PlanAsync(document, target, ct), SequentialFixAll.Statement, needsRelated: false)
    {
    }

    internal static async Task<SequentialFixAll.Plan?> PlanAsync(Document document, SyntaxNode target, CancellationToken cancellationToken)
    {
        if (target is not ExpressionStatementSyntax { Expression: InvocationExpressionSyntax acquire } statement || statement.Parent is not BlockSyntax block)
        {
            return null;
        }

        var facts = await EngineFacts.ForNodeAsync(document, statement, cancellationToken).ConfigureAwait(false);
        if (facts is null)
        {
            return null;
        }

        var semanticModel = facts.SemanticModel;
        if (semanticModel.GetSymbolInfo(acquire, cancellationToken).Symbol is IMethodSymbol { Name: "Enter", ContainingType: { Name: "Monitor", ContainingNamespace: { Name: "Threading", ContainingNamespace.Name: "System" } } }
            && acquire.ArgumentList.Arguments.Count == 1)
        {
            return MonitorToLock(document, semanticModel, statement, acquire, block, cancellationToken);
        }

        return ReleaseBeforeReturns(document, facts, statement, block);
    }

    private static SequentialFixAll.Plan? MonitorToLock(Document document, SemanticModel semanticModel, ExpressionStatementSyntax enter, InvocationExpressionSyntax acquire, BlockSyntax block, CancellationToken cancellationToken)
    {
        var target = acquire.ArgumentList.Arguments[0].Expression;
        if (!IsStable(target) || semanticModel.GetTypeInfo(target, cancellationToken).Type is not { IsReferenceType: true } type
            || type is { Name: "Lock", ContainingNamespace.Name: "Threading" })
        {
            return null;
        }

        var statements = block.Statements;
        int first = statements.IndexOf(enter);
        int last = -1;
        for (int i = first + 1; i < statements.Count; i++)
        {
            if (IsMonitorCall(statements[i], "Exit", target))
            {
                last = i;
                break;
            }
        }

        if (last < 0)
        {
            return null;
        }

        var between = statements.Skip(first + 1).Take(last - first - 1).ToList();
        var assigned = AssignedVariables(between, semanticModel, cancellationToken);
        var read = target.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().Select(n => semanticModel.GetSymbolInfo(n, cancellationToken).Symbol).Where(s => s is not null);
        if (between.Any(s => s.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                .Any(n => n is AwaitExpressionSyntax or YieldStatementSyntax or GotoStatementSyntax || n is ExpressionStatementSyntax e && (IsMonitorCall(e, "Enter", target) || IsMonitorCall(e, "Exit", target))))
            || read.Any(s => assigned.Contains(s!)))
        {
            return null;
        }

        return new SequentialFixAll.Plan($"Use a lock statement on '{target}' (released on every path)", _ =>
        {
            var body = SyntaxFactory.Block(between.Select(s => s.WithoutLeadingTrivia().WithLeadingTrivia(s.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia)))));
            var lockStatement = SyntaxFactory.LockStatement(target.WithoutTrivia(), body)
                .WithLeadingTrivia(enter.GetLeadingTrivia()).WithTrailingTrivia(statements[last].GetTrailingTrivia())
                .WithAdditionalAnnotations(Formatter.Annotation);
            var newStatements = statements.Take(first).Append(lockStatement).Concat(statements.Skip(last + 1));
            var root = block.SyntaxTree.GetRoot();
            return Task.FromResult(document.WithSyntaxRoot(root.ReplaceNode(block, block.WithStatements(SyntaxFactory.List(newStatements)))));
        });
    }

    private static SequentialFixAll.Plan? ReleaseBeforeReturns(Document document, EngineFacts facts, ExpressionStatementSyntax acquireStatement, BlockSyntax block)
    {
        var acquisition = facts.Body.Acquisitions.FirstOrDefault(a => acquireStatement.Span.Contains(a.Syntax.Span) && !a.IsTry);
        if (acquisition is null)
        {
            return null;
        }

        var held = new Engine.Model.HeldLock(acquisition.Lock.Class, acquisition.Lock.Instance, 1, false, acquisition.Syntax) { Mode = acquisition.Event.Mode };
        var release = facts.ReleasesOf(held).OfType<ExpressionStatementSyntax>()
            .Where(r => r.Parent == block && r.SpanStart > acquireStatement.Span.End).OrderBy(r => r.SpanStart).FirstOrDefault();
        if (release is null)
        {
            return null;
        }

        var between = block.Statements.Where(s => s.SpanStart > acquireStatement.Span.End && s.SpanStart < release.SpanStart).ToList();
        var returns = new List<ReturnStatementSyntax>();
        foreach (var node in between.SelectMany(s => s.DescendantNodesAndSelf(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))))
        {
            switch (node)
            {
                case ReturnStatementSyntax ret when ret.Ancestors().TakeWhile(a => a != block).All(a => a is BlockSyntax or IfStatementSyntax or ElseClauseSyntax)
                    && (ret.Expression is null || facts.SemanticModel.GetConstantValue(ret.Expression).HasValue
                        || ret.Expression is IdentifierNameSyntax name && facts.SemanticModel.GetSymbolInfo(name).Symbol is ILocalSymbol or IParameterSymbol):
                    returns.Add(ret);
                    break;
                case ReturnStatementSyntax or YieldStatementSyntax or GotoStatementSyntax:
                case BreakStatementSyntax or ContinueStatementSyntax when !InsideLoopWithin(node, block):
                    return null;
            }
        }

        // Each return on a path that still holds the lock: the ones after a release of it in their own block are not.
        returns.RemoveAll(r => r.Parent is BlockSyntax own && own.Statements.TakeWhile(s => s != r).Any(s => s.IsEquivalentTo(release)));
        if (returns.Count == 0)
        {
            return null;
        }

        return new SequentialFixAll.Plan($"Release {acquisition.Lock.Class.Display} before each early return", _ =>
        {
            var root = block.SyntaxTree.GetRoot();
            var editor = new SyntaxEditor(root, document.Project.Solution.Services);
            var unlock = FixSyntax.OnItsOwnLine(release.WithoutTrivia(), FixSyntax.EndOfLine(root));
            foreach (var ret in returns)
            {
                if (ret.Parent is BlockSyntax)
                {
                    editor.InsertBefore(ret, unlock);
                }
                else
                {
                    editor.ReplaceNode(ret, SyntaxFactory.Block(unlock, ret.WithoutTrivia()).WithTriviaFrom(ret).WithAdditionalAnnotations(Formatter.Annotation));
                }
            }

            return Task.FromResult(document.WithSyntaxRoot(editor.GetChangedRoot()));
        });
    }

    private static bool InsideLoopWithin(SyntaxNode jump, SyntaxNode within)
    {
        for (var node = jump.Parent; node is not null && node != within; node = node.Parent)
        {
            if (node is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax || node is SwitchSectionSyntax && jump is BreakStatementSyntax)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A name, <c>this</c>, or a chain of member accesses on them: evaluating it twice gives one object
    /// unless something assigns a part of it.</summary>
    private static bool IsStable(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax member => IsStable(member.Expression),
        ParenthesizedExpressionSyntax parenthesized => IsStable(parenthesized.Expression),
        _ => false,
    };

    private static bool IsMonitorCall(StatementSyntax statement, string name, ExpressionSyntax target)
        => statement is ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } call }
           && call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var method, Expression: var receiver }
           && method == name && receiver.ToString().EndsWith("Monitor", System.StringComparison.Ordinal)
           && SyntaxFactory.AreEquivalent(call.ArgumentList.Arguments[0].Expression, target);

    /// <summary>The locals, parameters, fields and properties assigned anywhere in the statements.</summary>
    private static HashSet<ISymbol> AssignedVariables(IEnumerable<StatementSyntax> statements, SemanticModel semanticModel, CancellationToken cancellationToken)
    {
        var result = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var node in statements.SelectMany(s => s.DescendantNodesAndSelf()))
        {
            ExpressionSyntax? assigned = node switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } pre => pre.Operand,
                PostfixUnaryExpressionSyntax post => post.Operand,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument => argument.Expression,
                _ => null,
            };
            if (assigned is not null && semanticModel.GetSymbolInfo(assigned, cancellationToken).Symbol is { } symbol)
            {
                result.Add(symbol);
            }
        }

        return result;
    }
}
