using System.IO;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Cli.Graph;
using Xunit;

namespace LockOrder.Cli.Tests.Graph;

/// <summary>Bad input gives a clear error and a nonzero exit code, never a stack trace.</summary>
public class GraphCommandTests
{
    private static async Task<(int Code, string Out, string Error)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var parse = Program.CreateRoot().Parse(args);
        parse.InvocationConfiguration.Output = stdout;
        parse.InvocationConfiguration.Error = stderr;
        int code = await parse.InvokeAsync(cancellationToken: CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task MissingProject_IsBadInput()
    {
        var (code, _, error) = await Run("graph", "/no/such/Project.csproj");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("'/no/such/Project.csproj' does not exist", error, System.StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADirectoryOrAnotherFile_IsBadInput()
    {
        var directory = Directory.CreateTempSubdirectory("lockorder-graph-").FullName;
        var (code, _, error) = await Run("graph", directory);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("is a directory", error, System.StringComparison.Ordinal);

        var text = Path.Combine(directory, "notes.txt");
        await File.WriteAllTextAsync(text, "x");
        (code, _, error) = await Run("graph", text);
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("is not a C# project", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingTable_IsBadInput()
    {
        var directory = Directory.CreateTempSubdirectory("lockorder-graph-").FullName;
        var project = Path.Combine(directory, "P.csproj");
        await File.WriteAllTextAsync(project, "<Project Sdk=\"Microsoft.NET.Sdk\" />");
        var (code, _, error) = await Run("graph", project, "--table", Path.Combine(directory, "lockorder.json"));
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("lockorder.json' does not exist", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownFormat_IsAUsageError()
    {
        var (code, _, error) = await Run("graph", "P.csproj", "--format", "png");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("png", error, System.StringComparison.Ordinal);
    }

    [Fact]
    public async Task AProjectMSBuildCannotLoad_PrintsWhyAndExits3()
    {
        var directory = Directory.CreateTempSubdirectory("lockorder-graph-").FullName;
        var project = Path.Combine(directory, "Broken.csproj");
        await File.WriteAllTextAsync(project, "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup>");
        var (code, _, error) = await Run("graph", project);
        Assert.Equal(ExitCodes.LoadFailed, code);
        Assert.Contains("MSBuild could not load", error, System.StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, System.StringComparison.Ordinal);
    }
}
