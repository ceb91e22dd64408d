using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace LockOrder.Engine.Flow;

/// <summary>What the object a store goes to is, as far as <see cref="Calls.FreshObjects"/> asks.</summary>
internal enum StoreOn
{
    /// <summary>Any other object.</summary>
    Other,

    /// <summary>The object an object initializer fills in (<c>new T { F = x }</c>).</summary>
    ImplicitReceiver,

    /// <summary>The object a local refers to (<c>local.F = x</c>).</summary>
    Local,
}

/// <summary>A store of a value that may not be null into a member (an auto-property by its property).</summary>
internal readonly record struct MemberStore(ISymbol Member, StoreOn On, ILocalSymbol? Local);

/// <summary>
/// The stores of a member's body (with its lambdas and local functions) and the objects it creates into locals:
/// what <see cref="Calls.FreshObjects"/> reads of a body. Taken from the bound tree while the body is analysed, as
/// the other facts are, so that nothing of the bound tree outlives the analysis (an operation keeps its semantic
/// model, and with it every bound body of its tree).
/// </summary>
internal sealed class BodyStores
{
    public static readonly BodyStores None = new(ImmutableArray<MemberStore>.Empty, ImmutableArray<(ILocalSymbol, INamedTypeSymbol)>.Empty);

    private readonly ImmutableArray<(ILocalSymbol Local, INamedTypeSymbol Type)> _created;

    private BodyStores(ImmutableArray<MemberStore> stores, ImmutableArray<(ILocalSymbol, INamedTypeSymbol)> created)
    {
        Stores = stores;
        _created = created;
    }

    /// <summary>Every store of a value other than a constant null into a field or property, in tree order.</summary>
    public ImmutableArray<MemberStore> Stores { get; }

    /// <summary>The type of the object created into a local (the first creation in tree order; not the local's
    /// declared type: a derived object's constructors count too), or null.</summary>
    public INamedTypeSymbol? CreatedType(ILocalSymbol local)
    {
        foreach (var (candidate, type) in _created)
        {
            if (SymbolEqualityComparer.Default.Equals(candidate, local))
            {
                return type;
            }
        }

        return null;
    }

    /// <summary>The members stored into by the object initializers of the body and through <paramref name="local"/>.</summary>
    public IEnumerable<ISymbol> StoredOn(ILocalSymbol local)
        => Stores.Where(s => s.On == StoreOn.ImplicitReceiver || s.On == StoreOn.Local && SymbolEqualityComparer.Default.Equals(s.Local, local)).Select(s => s.Member);

    /// <summary>One walk over a member's bound tree (its lambdas and local functions included).</summary>
    public static BodyStores Of(IOperation root, CancellationToken cancellationToken)
    {
        ImmutableArray<MemberStore>.Builder? stores = null;
        ImmutableArray<(ILocalSymbol, INamedTypeSymbol)>.Builder? created = null;
        foreach (var op in root.DescendantsAndSelf())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Created(op) is var (local, type) && !(created?.Any(c => SymbolEqualityComparer.Default.Equals(c.Item1, local)) ?? false))
            {
                (created ??= ImmutableArray.CreateBuilder<(ILocalSymbol, INamedTypeSymbol)>()).Add((local, type));
            }

            if (StoreTarget(op) is not { } target)
            {
                continue;
            }

            foreach (var reference in Targets(target))
            {
                if (reference.Member is IFieldSymbol or IPropertySymbol)
                {
                    var member = reference.Member is IFieldSymbol { AssociatedSymbol: IPropertySymbol property } ? property : reference.Member;
                    var store = reference.Instance switch
                    {
                        IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } => new MemberStore(member.OriginalDefinition, StoreOn.ImplicitReceiver, null),
                        ILocalReferenceOperation l => new MemberStore(member.OriginalDefinition, StoreOn.Local, l.Local),
                        _ => new MemberStore(member.OriginalDefinition, StoreOn.Other, null),
                    };
                    (stores ??= ImmutableArray.CreateBuilder<MemberStore>()).Add(store);
                }
            }
        }

        return stores is null && created is null ? None : new BodyStores(stores?.ToImmutable() ?? ImmutableArray<MemberStore>.Empty, created?.ToImmutable() ?? ImmutableArray<(ILocalSymbol, INamedTypeSymbol)>.Empty);
    }

    /// <summary>A local and the object created into it, by its declaration's initializer or an assignment.</summary>
    private static (ILocalSymbol, INamedTypeSymbol)? Created(IOperation op)
    {
        var (local, value) = op switch
        {
            IVariableDeclaratorOperation declarator => (declarator.Symbol, declarator.Initializer?.Value),
            ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment => (target.Local, assignment.Value),
            _ => (null, null),
        };
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        return local is not null && value is IObjectCreationOperation { Type: INamedTypeSymbol type } ? (local, type) : null;
    }

    /// <summary>What an operation stores a value that may not be null into, if it stores.</summary>
    private static IOperation? StoreTarget(IOperation op) => op switch
    {
        ISimpleAssignmentOperation assignment when !IsNull(assignment.Value) => assignment.Target,
        ICompoundAssignmentOperation or ICoalesceAssignmentOperation => ((IAssignmentOperation)op).Target,
        IIncrementOrDecrementOperation increment => increment.Target,
        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument => argument.Value,
        IDeconstructionAssignmentOperation deconstruction => deconstruction.Target,
        _ => null,
    };

    /// <summary>The members an assignment target stores into: itself, or each element of a deconstruction's tuple.</summary>
    private static IEnumerable<IMemberReferenceOperation> Targets(IOperation target)
    {
        while (target is IConversionOperation conversion)
        {
            target = conversion.Operand;
        }

        switch (target)
        {
            case IMemberReferenceOperation member:
                yield return member;
                break;
            case ITupleOperation tuple:
                foreach (var element in tuple.Elements.SelectMany(Targets))
                {
                    yield return element;
                }

                break;
        }
    }

    private static bool IsNull(IOperation value)
    {
        while (value is IConversionOperation conversion)
        {
            value = conversion.Operand;
        }

        return value is IDefaultValueOperation || value is ILiteralOperation { ConstantValue: { HasValue: true, Value: null } };
    }
}
