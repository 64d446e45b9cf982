using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Campaign.ServiceDefaults;

/// <summary>
/// Turns a body that cannot be read (bad JSON, a wrong type, too large) into 400 problem details that name the field,
/// instead of a 500.
/// </summary>
sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (IsUnsupportedCharset(exception))
        {
            // A Content-Type charset .NET does not know (e.g. "application/json; charset=ebcdic-cp-us") is the client's
            // mistake, not a server error: ASP.NET Core throws a plain InvalidOperationException for it.
            httpContext.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return await problemDetails.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status415UnsupportedMediaType,
                    Title = "The request's charset is not supported.",
                    Detail = "Send JSON as application/json in UTF-8.",
                },
            });
        }

        if (exception is not BadHttpRequestException badRequest)
            return false;

        var errors = new Dictionary<string, string[]>();
        if (badRequest.InnerException is JsonException json)
        {
            var field = string.IsNullOrEmpty(json.Path) ? "$" : json.Path;
            errors[field] = [json.Message.StartsWith(UnstorableText.Message, StringComparison.Ordinal) ? UnstorableText.Message : "The value could not be read as JSON of the expected type."];
        }

        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new HttpValidationProblemDetails(errors)
            {
                Status = badRequest.StatusCode,
                Title = badRequest.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request could not be read.",
                Detail = errors.Count > 0 ? "The request body is not valid JSON for this endpoint." : badRequest.Message,
            },
        });
    }

    static bool IsUnsupportedCharset(Exception exception) =>
        exception is InvalidOperationException { InnerException: ArgumentException }
        && exception.TargetSite?.DeclaringType?.FullName == "Microsoft.AspNetCore.Http.HttpRequestJsonExtensions";
}
