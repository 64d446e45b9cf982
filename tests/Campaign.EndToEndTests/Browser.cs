using Campaign.Testing;
using Microsoft.Playwright;

namespace Campaign.EndToEndTests;

/// <summary>Debian's Chromium, headless, driven by Playwright (deploy/local/infra installs it; Playwright's own browsers are never downloaded).</summary>
public sealed class Browser : IAsyncDisposable
{
    readonly IPlaywright _playwright;

    Browser(IPlaywright playwright, IBrowser chromium) => (_playwright, Chromium) = (playwright, chromium);

    public IBrowser Chromium { get; }

    public static async Task<Browser> LaunchAsync()
    {
        var executable = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed: deploy/local/infra up installs it (apt-get install chromium).");
        var playwright = await Playwright.CreateAsync();
        try
        {
            return new Browser(playwright, await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ["--no-sandbox"], // the tests may run as root
            }));
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public Task<IPage> NewPageAsync(int width = 1600, int height = 2400) =>
        Chromium.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });

    /// <summary>
    /// Opens <paramref name="address"/>, which sends the browser to the token issuer's sign-in page; signs in there as the
    /// local operator (deploy/local/infra's CAMPAIGN_OPERATOR_PASSWORD) and waits until the browser is back.
    /// </summary>
    public async Task<IPage> SignedInPageAsync(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var page = await NewPageAsync(1400, 1000);
        await page.GotoAsync(address.ToString());
        try
        {
            await page.FillAsync("#subject", "operator", new PageFillOptions { Timeout = 30_000 });
            await page.FillAsync("#password", TestInfrastructure.Get("CAMPAIGN_OPERATOR_PASSWORD"));
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync(url => url.StartsWith(address.ToString(), StringComparison.Ordinal), new PageWaitForURLOptions { Timeout = 30_000 });
            await page.WaitForSelectorAsync("main section", new PageWaitForSelectorOptions { Timeout = 30_000 });
        }
        catch (TimeoutException e)
        {
            var body = await page.InnerTextAsync("body").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "", TaskScheduler.Default);
            throw new TimeoutException($"Signing in at {address} did not come back to it: the browser is at {page.Url}, showing:\n{body[..Math.Min(body.Length, 2000)]}", e);
        }
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        _playwright.Dispose();
    }
}
