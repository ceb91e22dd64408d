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

    /// <summary>A method the engine can analyse in <paramref name="compilation"/>: not abstract or extern, with source
    /// there (lambdas and local functions always have it). A method of another source project, which the IDE and
    /// MSBuildWorkspace reference as a compilation where a build references an assembly, has syntax but none of it
    /// here: it is read as a build reads it, from metadata (the table and the catalog say what it does).</summary>
    public static bool HasBody(IMethodSymbol method, Compilation compilation)
        => !method.IsAbstract && !method.IsExtern
           && (method.MethodKind is MethodKind.AnonymousFunction or MethodKind.LocalFunction
               || (method.DeclaringSyntaxReferences.Length > 0 && SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, compilation.Assembly)));
}
