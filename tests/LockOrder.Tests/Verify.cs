using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
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

/// <summary>
/// The one way rule tests run an analyzer: <c>Verify&lt;T&gt;.Source(code, expected...)</c>, then any of
/// <c>.WithTable(json)</c>, <c>.WithEditorConfig(text)</c>, <c>.WithAdditionalFile(path, text)</c>,
/// <c>.Expect(...)</c>; await it (or return it as a Task). Diagnostics are compared exactly, by
/// Microsoft.CodeAnalysis.Testing.
/// </summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpAnalyzerVerifier<TAnalyzer, DefaultVerifier>.Diagnostic(id);

    public static AnalyzerCase<TAnalyzer> Source(string source, params DiagnosticResult[] expected) => new AnalyzerCase<TAnalyzer>(source).Expect(expected);

    /// <summary>Shorthand for <c>Source(source, expected).WithTable(table)</c>.</summary>
    public static AnalyzerCase<TAnalyzer> WithTable(string source, string table, params DiagnosticResult[] expected) => Source(source, expected).WithTable(table);
}

/// <summary>One analyzer test case, built fluently and run when awaited.</summary>
internal sealed class AnalyzerCase<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    private readonly string _source;
    private readonly List<(string Path, string Text)> _additionalFiles = new();
    private readonly List<(string Path, string Text)> _configFiles = new();
    private readonly List<string> _moreSources = new();
    private readonly List<DiagnosticResult> _expected = new();
    private string? _editorConfig;

    public AnalyzerCase(string source) => _source = source;

    /// <summary>lockorder.json, as an additional file.</summary>
    public AnalyzerCase<TAnalyzer> WithTable(string table) => WithAdditionalFile("lockorder.json", table);

    public AnalyzerCase<TAnalyzer> WithAdditionalFile(string path, string text)
    {
        _additionalFiles.Add((path, text));
        return this;
    }

    /// <summary>The body of a root .editorconfig for the C# files (<c>[*.cs]</c> lines; <c>root = true</c> is added).</summary>
    public AnalyzerCase<TAnalyzer> WithEditorConfig(string lines)
    {
        _editorConfig = "root = true\n[*.cs]\n" + lines + "\n";
        return this;
    }

    /// <summary>Another source file (Test1.cs, Test2.cs, ... in the order added).</summary>
    public AnalyzerCase<TAnalyzer> WithSource(string source)
    {
        _moreSources.Add(source);
        return this;
    }

    /// <summary>An analyzer config file as written: an .editorconfig with sections of its own, or a .globalconfig.</summary>
    public AnalyzerCase<TAnalyzer> WithConfigFile(string path, string text)
    {
        _configFiles.Add((path, text));
        return this;
    }

    public AnalyzerCase<TAnalyzer> Expect(params DiagnosticResult[] expected)
    {
        _expected.AddRange(expected);
        return this;
    }

    public Task RunAsync()
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        {
            TestCode = _source,
            ReferenceAssemblies = TestReferences.Net90,
        };
        foreach (var file in _additionalFiles)
        {
            test.TestState.AdditionalFiles.Add(file);
        }

        if (_editorConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", _editorConfig));
        }

        foreach (var file in _configFiles)
        {
            test.TestState.AnalyzerConfigFiles.Add(file);
        }

        foreach (var source in _moreSources)
        {
            test.TestState.Sources.Add(source);
        }

        test.ExpectedDiagnostics.AddRange(_expected);
        return test.RunAsync();
    }

    public TaskAwaiter GetAwaiter() => RunAsync().GetAwaiter();

    public static implicit operator Task(AnalyzerCase<TAnalyzer> test) => test.RunAsync();
}

/// <summary>
/// The one way code-fix tests run: <c>VerifyFix&lt;TAnalyzer, TFix&gt;.Source(before).Fixed(after)</c>, with the
/// same options as <see cref="AnalyzerCase{TAnalyzer}"/>. Microsoft.CodeAnalysis.Testing applies the fix to each
/// diagnostic (<see cref="Fixed"/>), then Fix All in document, project and solution (<see cref="FixedByFixAll"/>,
/// by default the same), and checks the diagnostics left. A case without <see cref="Fixed"/> asserts that no fix
/// is offered.
/// </summary>
internal sealed class FixCase<TAnalyzer, TFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
{
    private readonly string _source;
    private readonly List<(string Path, string Text)> _additionalFiles = new();
    private readonly List<(string Path, string Text)> _fixedAdditionalFiles = new();
    private readonly List<DiagnosticResult> _expected = new();
    private readonly List<DiagnosticResult> _remaining = new();
    private string? _fixed;
    private string? _fixedByFixAll;
    private int? _iterations;
    private string? _action;
    private bool _noFixAll;

    public FixCase(string source) => _source = source;

    /// <summary>For an action without Fix All (a decision per diagnostic).</summary>
    public FixCase<TAnalyzer, TFix> WithoutFixAll()
    {
        _noFixAll = true;
        return this;
    }

    /// <summary>The action to apply, by its equivalence key, where a diagnostic offers several.</summary>
    public FixCase<TAnalyzer, TFix> WithAction(string equivalenceKey)
    {
        _action = equivalenceKey;
        return this;
    }

    public FixCase<TAnalyzer, TFix> Fixed(string source)
    {
        _fixed = source;
        return this;
    }

    /// <summary>What Fix All gives, when it differs from fixing one diagnostic after another.</summary>
    public FixCase<TAnalyzer, TFix> FixedByFixAll(string source)
    {
        _fixedByFixAll = source;
        return this;
    }

    public FixCase<TAnalyzer, TFix> WithTable(string table) => WithAdditionalFile("/0/lockorder.json", table);

    public FixCase<TAnalyzer, TFix> WithAdditionalFile(string path, string text)
    {
        _additionalFiles.Add((path, text));
        return this;
    }

    /// <summary>An additional file as the fix leaves it (a fix that edits lockorder.json).</summary>
    public FixCase<TAnalyzer, TFix> WithFixedAdditionalFile(string path, string text)
    {
        _fixedAdditionalFiles.Add((path, text));
        return this;
    }

    public FixCase<TAnalyzer, TFix> Expect(params DiagnosticResult[] expected)
    {
        _expected.AddRange(expected);
        return this;
    }

    /// <summary>Diagnostics still reported on the fixed code.</summary>
    public FixCase<TAnalyzer, TFix> Remaining(params DiagnosticResult[] remaining)
    {
        _remaining.AddRange(remaining);
        return this;
    }

    /// <summary>How many times the fix is applied (one per diagnostic by default; fewer when one fix clears several).</summary>
    public FixCase<TAnalyzer, TFix> Iterations(int count)
    {
        _iterations = count;
        return this;
    }

    public Task RunAsync()
    {
        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = _source,
            FixedCode = _fixed ?? _source,
            ReferenceAssemblies = TestReferences.Net90,
        };
        foreach (var file in _additionalFiles)
        {
            test.TestState.AdditionalFiles.Add(file);
            if (_fixedAdditionalFiles.All(f => f.Path != file.Path))
            {
                test.FixedState.AdditionalFiles.Add(file);
            }
        }

        foreach (var file in _fixedAdditionalFiles)
        {
            test.FixedState.AdditionalFiles.Add(file);
        }

        if (_fixedByFixAll is not null)
        {
            test.BatchFixedCode = _fixedByFixAll;
        }

        if (_action is not null)
        {
            test.CodeActionEquivalenceKey = _action;
        }

        if (_noFixAll)
        {
            test.CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipFixAllCheck;
        }

        if (_iterations is { } n)
        {
            test.NumberOfIncrementalIterations = n;
            test.NumberOfFixAllIterations = 1;
        }

        test.ExpectedDiagnostics.AddRange(_expected);
        test.FixedState.ExpectedDiagnostics.AddRange(_remaining);
        if (_fixed is null)
        {
            // No fix offered: the code stays as it is and so do the diagnostics.
            test.FixedState.ExpectedDiagnostics.AddRange(_expected);
        }

        return test.RunAsync();
    }

    public TaskAwaiter GetAwaiter() => RunAsync().GetAwaiter();

    public static implicit operator Task(FixCase<TAnalyzer, TFix> test) => test.RunAsync();
}

internal static class VerifyFix<TAnalyzer, TFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
{
    public static DiagnosticResult Diagnostic(string id) => CSharpAnalyzerVerifier<TAnalyzer, DefaultVerifier>.Diagnostic(id);

    public static FixCase<TAnalyzer, TFix> Source(string source) => new(source);
}
