using Microsoft.CodeAnalysis;

namespace LockOrder.Engine.Calls;

/// <summary>The one key of a method across the engine: its facts, its summary and its callers are all stored under
/// it. A generic or constructed method is its original definition; a partial method is its implementation; a
/// lambda or local function is itself.</summary>
internal static class MethodKey
{
    public static IMethodSymbol Of(IMethodSymbol method)
        => method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction
            ? method
            : (method.PartialImplementationPart ?? method).OriginalDefinition;

    /// <summary>A method the engine can analyse: not abstract or extern, with source (lambdas and local functions
    /// always have it).</summary>
    public static bool HasBody(IMethodSymbol method)
        => !method.IsAbstract && !method.IsExtern
           && (method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction || method.DeclaringSyntaxReferences.Length > 0);
}
