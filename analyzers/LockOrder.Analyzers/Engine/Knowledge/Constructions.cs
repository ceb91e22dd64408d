using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Knowledge;

/// <summary>
/// How the lock objects stored in fields and properties are created: the object creations assigned to a member
/// (its initializer, and assignments in its type), with their constant arguments. Read once per member, on demand,
/// from the member's own type's syntax. It decides what a semaphore is (one permit: a lock; several: a signal) and
/// whether a ReaderWriterLockSlim allows recursion.
/// </summary>
internal sealed class Constructions
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<ISymbol, IReadOnlyList<IObjectCreationOperation>?> _byMember = new(SymbolEqualityComparer.Default);

    public Constructions(Compilation compilation) => _compilation = compilation;

    /// <summary>Every object creation assigned to the member in source, or null when it is assigned anything else
    /// (or has no source): then how it was made is unknown.</summary>
    public IReadOnlyList<IObjectCreationOperation>? Of(ISymbol member, CancellationToken cancellationToken)
        => member is IFieldSymbol or IPropertySymbol && member.DeclaringSyntaxReferences.Length > 0
            ? _byMember.GetOrAdd(member.OriginalDefinition, m => Find(m, cancellationToken))
            : null;

    /// <summary>The constant int an argument (by parameter name) was given, if any.</summary>
    public static int? Argument(IObjectCreationOperation creation, string parameter)
        => creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter) is { ArgumentKind: not ArgumentKind.DefaultValue } argument
           && argument.Value.ConstantValue is { HasValue: true, Value: int value } ? value : null;

    /// <summary>An argument (by parameter name) was given explicitly.</summary>
    public static bool HasArgument(IObjectCreationOperation creation, string parameter)
        => creation.Arguments.Any(a => a.Parameter?.Name == parameter && a.ArgumentKind != ArgumentKind.DefaultValue);

    private IReadOnlyList<IObjectCreationOperation>? Find(ISymbol member, CancellationToken cancellationToken)
    {
        var values = new List<SyntaxNode>();
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax(cancellationToken))
            {
                case VariableDeclaratorSyntax { Initializer.Value: { } value }:
                    values.Add(value);
                    break;
                case PropertyDeclarationSyntax { Initializer.Value: { } value }:
                    values.Add(value);
                    break;
            }
        }

        foreach (var reference in member.ContainingType.DeclaringSyntaxReferences)
        {
            foreach (var assignment in reference.GetSyntax(cancellationToken).DescendantNodes().OfType<AssignmentExpressionSyntax>())
            {
                var name = assignment.Left switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var n } => n.Identifier.ValueText,
                    _ => null,
                };
#pragma warning disable RS1030 // As below: once per member, on demand.
                if (name == member.Name && SymbolEqualityComparer.Default.Equals(
                        _compilation.GetSemanticModel(assignment.SyntaxTree).GetSymbolInfo(assignment.Left, cancellationToken).Symbol?.OriginalDefinition, member))
#pragma warning restore RS1030
                {
                    values.Add(assignment.Right);
                }
            }
        }

        var creations = new List<IObjectCreationOperation>();
        foreach (var written in values)
        {
            var value = written;
            while (value is PostfixUnaryExpressionSyntax { RawKind: (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression } suppressed)
            {
                value = suppressed.Operand;
            }

#pragma warning disable RS1030 // Read once per member, on demand; the driver's semantic model provider caches models.
            var operation = _compilation.GetSemanticModel(value.SyntaxTree).GetOperation(value, cancellationToken);
#pragma warning restore RS1030
            while (operation is IConversionOperation conversion)
            {
                operation = conversion.Operand;
            }

            if (operation is { ConstantValue: { HasValue: true, Value: null } } or IDefaultValueOperation)
            {
                continue; // 'null!' until initialised: not a lock object of another kind.
            }

            if (operation is not IObjectCreationOperation creation)
            {
                return null;
            }

            creations.Add(creation);
        }

        return creations.Count == 0 ? null : creations;
    }
}
