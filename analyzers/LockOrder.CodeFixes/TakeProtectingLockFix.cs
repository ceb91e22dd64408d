using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Hierarchy;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace LockOrder.CodeFixes;

/// <summary>
/// LOCK006, "take the protecting lock": the statement that touches the protected member is wrapped in the lock
/// the table names for it, taken on the same object (<c>obj.Count++</c> becomes <c>lock (obj.Gate) { obj.Count++; }</c>,
/// or <c>obj.Gate.Lock(); ...; obj.Gate.Unlock();</c> for a primitive of the table). Offered when:
/// <list type="bullet">
/// <item>the statement is an expression statement (not a declaration whose variables are used later);</item>
/// <item>the row's lock is a member of the same type as the protected member (or static), reached from the same
/// object, through an expression that names one object however often it is evaluated;</item>
/// <item>taking it there breaks no rule: no lock held there is ordered after it in the table, and no spinlock is
/// held when it may sleep.</item>
/// </list>
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TakeProtectingLockFix)), Shared]
public sealed class TakeProtectingLockFix : PlannedFix
{
    public const string EquivalenceKey = "LockOrder.TakeProtectingLock";

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(RuleIds.Unprotected);

    public TakeProtectingLockFix() : base(EquivalenceKey, (document, target, _, ct) => PlanAsync(document, target, ct), SequentialFixAll.Node, needsRelated: false)
    {
    }

    internal static async Task<SequentialFixAll.Plan?> PlanAsync(Document document, SyntaxNode target, CancellationToken cancellationToken)
    {
        var facts = await EngineFacts.ForNodeAsync(document, target, cancellationToken).ConfigureAwait(false);
        var access = facts?.Body.Accesses.FirstOrDefault(a => a.Syntax.Span == target.Span || target.Span.Contains(a.Syntax.Span));
        if (facts is null || access is null || target.FirstAncestorOrSelf<StatementSyntax>() is not ExpressionStatementSyntax statement)
        {
            return null;
        }

        var row = access.ProtectedBy;
        var member = access.Member;
        var lockMember = row.Symbols.SelectMany(s => SymbolResolver.All(facts.SemanticModel.Compilation, s.Value))
            .FirstOrDefault(s => s is IFieldSymbol or IPropertySymbol && (s.IsStatic || SameOrBase(member.ContainingType, s.ContainingType)));
        if (lockMember is null)
        {
            return null;
        }

        // Taking the row's lock here must not break the order or sleep under a spinlock.
        if (access.Held.Any(h => h.Class.Decl is { } heldRow && heldRow.Row > row.Row || h.Class.IsSpinlock && row.Kind.MaySleep()))
        {
            return null;
        }

        // The object: what the access is made on (this, when implicit).
        var accessSyntax = (ExpressionSyntax)access.Syntax;
        ExpressionSyntax? receiver = accessSyntax switch
        {
            MemberAccessExpressionSyntax m => m.Expression,
            MemberBindingExpressionSyntax => null,
            _ => SyntaxFactory.ThisExpression(),
        };
        if (receiver is null || !IsStable(receiver))
        {
            return null;
        }

        var lockExpression = lockMember.IsStatic
            ? SyntaxFactory.ParseExpression(lockMember.ContainingType.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "." + lockMember.Name)
            : receiver is ThisExpressionSyntax ? SyntaxFactory.IdentifierName(lockMember.Name) : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver.WithoutTrivia(), SyntaxFactory.IdentifierName(lockMember.Name));
        var type = lockMember is IFieldSymbol f ? f.Type : ((IPropertySymbol)lockMember).Type;
        var primitive = facts.Model.Table.Primitives.FirstOrDefault(p => p.Type.Value == SymbolNames.Qualified(type.OriginalDefinition));
        if (primitive is null && (!type.IsReferenceType || type.Name == "SpinLock"))
        {
            return null;
        }

        if (primitive is not null && (primitive.Acquire.IsEmpty || primitive.Release.IsEmpty || primitive.Acquire[0].Value.Contains('.') || primitive.Release[0].Value.Contains('.')))
        {
            return null;
        }

        var root = statement.SyntaxTree.GetRoot(cancellationToken);
        var eol = FixSyntax.EndOfLine(root);
        return new SequentialFixAll.Plan($"Take {row.Display} around the access", _ =>
        {
            SyntaxNode newRoot;
            var inner = statement.WithoutLeadingTrivia();
            if (primitive is null)
            {
                var wrapped = SyntaxFactory.LockStatement(lockExpression, SyntaxFactory.Block(inner)).WithLeadingTrivia(statement.GetLeadingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
                newRoot = root.ReplaceNode(statement, wrapped);
            }
            else
            {
                var take = FixSyntax.Statement($"{lockExpression}.{primitive.Acquire[0].Value}();", eol).WithLeadingTrivia(statement.GetLeadingTrivia());
                var release = FixSyntax.Statement($"{lockExpression}.{primitive.Release[0].Value}();", eol);
                newRoot = root.ReplaceNode(statement, new StatementSyntax[] { take, FixSyntax.OnItsOwnLine(inner, eol), release });
            }

            return Task.FromResult(document.WithSyntaxRoot(newRoot));
        });
    }

    private static bool SameOrBase(INamedTypeSymbol? type, INamedTypeSymbol? candidate)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, candidate?.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsStable(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax member => IsStable(member.Expression),
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } bang => IsStable(bang.Operand),
        ParenthesizedExpressionSyntax parenthesized => IsStable(parenthesized.Expression),
        _ => false,
    };
}
