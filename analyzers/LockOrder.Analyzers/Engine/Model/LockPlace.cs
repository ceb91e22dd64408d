using System.Linq;
using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Model;

/// <summary>
/// Where a lock lives relative to the object a method runs on. Order edges between the locks of one object and
/// the locks of objects it links to recursively (a wrapper and the target it wraps, a node and its next) are
/// parent-before-child nesting, consistent in any acyclic structure; locks of an object created in the same
/// method and not shared yet cannot be held by another thread at all.
/// </summary>
internal enum LockPlace
{
    /// <summary>A lock of the method's own object (<c>this</c>, or a field of it).</summary>
    Self,

    /// <summary>A lock of an object reached from <c>this</c> through members of its own kind (the wrapped target of
    /// a wrapper, the next node of a node).</summary>
    Nested,

    /// <summary>Anywhere else: a static, a parameter, an unrelated object.</summary>
    Other,

    /// <summary>An object created in this method and only used as a receiver since: no other thread can lock it.</summary>
    Fresh,

    /// <summary>The object that made this one, through the member that refers back to it (a buffer's
    /// <c>Connector</c>, fixed at construction): seen from that owner, through the member holding this object, its
    /// own object.</summary>
    Owner,
}

/// <summary>How the receiver of a call relates to the calling method's own object.</summary>
internal enum ReceiverRelation
{
    /// <summary><c>this</c> (or no receiver, for a static call): the callee's places are the caller's.</summary>
    Same,

    /// <summary>An object reached from <c>this</c> through members of its own kind.</summary>
    Nested,

    /// <summary>A fresh object of this method.</summary>
    Fresh,

    /// <summary>Anything else.</summary>
    Other,

    /// <summary><c>this.Back</c>: the object that made this one (see <see cref="LockPlace.Owner"/>).</summary>
    Owner,

    /// <summary><c>this.Helper</c>: an object this one made, whose reference back to its maker is <c>this</c>.</summary>
    Owned,
}

/// <summary>How an order edge moves through an object structure: within one object, down to an object it links
/// to recursively, or anywhere else.</summary>
internal enum EdgeDirection
{
    /// <summary>From the body's own object's lock to another lock of the same object.</summary>
    Same,

    /// <summary>From the body's own object's lock to a lock of an object it links to recursively.</summary>
    Down,

    /// <summary>Anything else: the two locks may be on any objects.</summary>
    Unknown,
}

internal static class Places
{
    /// <summary>The direction of an edge from a held lock (by its instance) to a lock taken at a place.</summary>
    public static EdgeDirection Direction(AccessPath? heldInstance, LockPlace taken) => (heldInstance, taken) switch
    {
        (AccessPath.This, LockPlace.Self) => EdgeDirection.Same,
        (AccessPath.This, LockPlace.Nested) => EdgeDirection.Down,
        _ => EdgeDirection.Unknown,
    };

    /// <summary>What several witnesses of one edge say together: unknown if any is, down only if all are.</summary>
    public static EdgeDirection Join(EdgeDirection a, EdgeDirection b)
        => a == EdgeDirection.Unknown || b == EdgeDirection.Unknown ? EdgeDirection.Unknown
           : a == EdgeDirection.Down && b == EdgeDirection.Down ? EdgeDirection.Down
           : EdgeDirection.Same;

    /// <summary>The place of a lock from its instance path, in a method of <paramref name="owner"/>.</summary>
    public static LockPlace Of(AccessPath? instance, INamedTypeSymbol? owner, bool fresh) => instance switch
    {
        _ when fresh => LockPlace.Fresh,
        AccessPath.This => LockPlace.Self,
        AccessPath.Member member when owner is not null && IsNestedChain(member, owner) => LockPlace.Nested,
        _ => LockPlace.Other,
    };

    /// <summary>The relation of a call's receiver to the caller's object.</summary>
    public static ReceiverRelation RelationOf(AccessPath? receiver, bool isStatic, INamedTypeSymbol? owner, bool fresh) => receiver switch
    {
        _ when isStatic => ReceiverRelation.Same,
        _ when fresh => ReceiverRelation.Fresh,
        AccessPath.This => ReceiverRelation.Same,
        AccessPath.Member member when owner is not null && IsNestedChain(member, owner) => ReceiverRelation.Nested,
        _ => ReceiverRelation.Other,
    };

    /// <summary>A callee's place seen from its caller; null when the lock cannot be contended (a fresh object's).
    /// <paramref name="sameBack"/>: the callee's owner lock goes through the member the call's helper refers back
    /// with (so, below a call on an owned helper, it is the caller's own).</summary>
    public static LockPlace? Through(LockPlace place, ReceiverRelation relation, bool sameBack = false) => (place, relation) switch
    {
        (LockPlace.Other, _) => LockPlace.Other,
        (LockPlace.Fresh, _) => null,
        (LockPlace.Owner, ReceiverRelation.Same) => LockPlace.Owner,
        (LockPlace.Owner, ReceiverRelation.Owned) when sameBack => LockPlace.Self,
        (LockPlace.Owner, _) => LockPlace.Other,
        (LockPlace.Self, ReceiverRelation.Owner) => LockPlace.Owner,
        (_, ReceiverRelation.Same) => place,
        (_, ReceiverRelation.Nested) => LockPlace.Nested,
        (_, ReceiverRelation.Fresh) => null,
        _ => LockPlace.Other,
    };

    /// <summary>this.a.b... where every member links to an object of the owner's kind (a type it derives from, or
    /// one that derives from it): the recursive links of wrappers, decorators, lists and trees.</summary>
    private static bool IsNestedChain(AccessPath.Member member, INamedTypeSymbol owner)
    {
        for (AccessPath path = member; ; )
        {
            switch (path)
            {
                case AccessPath.This:
                    return true;
                case AccessPath.Member m when Related(TypeOf(m.Symbol), owner):
                    path = m.Instance;
                    continue;
                default:
                    return false;
            }
        }
    }

    private static ITypeSymbol? TypeOf(ISymbol member) => member switch
    {
        IFieldSymbol f => f.Type,
        IPropertySymbol p => p.Type,
        _ => null,
    };

    /// <summary>A type of the owner's kind, or a collection of them (the children of a composite: <c>Targets[i]</c>).</summary>
    private static bool Related(ITypeSymbol? type, INamedTypeSymbol owner) => type switch
    {
        IArrayTypeSymbol array => Related(array.ElementType, owner),
        INamedTypeSymbol { SpecialType: not SpecialType.System_Object } named when DerivesFrom(owner, named) || DerivesFrom(named, owner) => true,
        INamedTypeSymbol named => named.AllInterfaces.Any(i => i is { Name: "IEnumerable", Arity: 1 } && Related(i.TypeArguments[0], owner)),
        _ => false,
    };

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol ancestor)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, ancestor.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }
}
