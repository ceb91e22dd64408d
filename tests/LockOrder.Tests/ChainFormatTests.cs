using System.Linq;
using System.Collections.Immutable;
using LockOrder.Engine.Queries;
using Microsoft.CodeAnalysis;
using Xunit;

namespace LockOrder.Tests;

public class ChainFormatTests
{
    private static Chain Steps(int n) => new(Enumerable.Range(1, n).Select(i => new ChainStep("M" + i, Location.None)).ToImmutableArray());

    [Fact]
    public void ShortChainsAreShownWhole()
        => Assert.Equal("M1 -> M2 -> M3 -> M4 -> M5 -> M6", Steps(6).Text);

    [Fact]
    public void LongChainsKeepBothEndsAndShortenTheMiddle()
        => Assert.Equal("M1 -> M2 -> M3 -> ... -> M11 -> M12", Steps(12).Text);
}
