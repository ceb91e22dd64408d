using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace LockOrder.Tests;

internal static class TestReferences
{
    /// <summary>.NET 9 reference assemblies (System.Threading.Lock exists from .NET 9), restored by the test
    /// project's PackageDownload so no test downloads anything.</summary>
    public static readonly ReferenceAssemblies Net90 = new(
        "net9.0", new PackageIdentity("Microsoft.NETCore.App.Ref", "9.0.16"), System.IO.Path.Combine("ref", "net9.0"));
}

/// <summary>Runs one rule over a source (and optionally a lockorder.json) and compares diagnostics exactly.</summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpAnalyzerVerifier<TAnalyzer, DefaultVerifier>.Diagnostic(id);

    public static Task Source(string source, params DiagnosticResult[] expected) => Run(source, null, expected);

    public static Task WithTable(string source, string table, params DiagnosticResult[] expected) => Run(source, table, expected);

    private static async Task Run(string source, string? table, DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = TestReferences.Net90,
        };
        if (table is not null)
        {
            test.TestState.AdditionalFiles.Add(("lockorder.json", table));
        }

        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }
}
