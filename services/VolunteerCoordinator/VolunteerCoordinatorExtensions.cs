using Campaign.ServiceDefaults;
using Microsoft.AspNetCore.OpenApi;
using VolunteerCoordinator.Consumers;
using VolunteerCoordinator.Data;
using VolunteerCoordinator.Features.ThankYouCalls;
using VolunteerCoordinator.Features.Volunteers;

namespace VolunteerCoordinator;

public static class VolunteerCoordinatorExtensions
{
    /// <summary>The database, the consumer that creates thank-you calls, and the OpenAPI details of the sign-up form.</summary>
    public static WebApplicationBuilder AddVolunteerCoordinator(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDatabase<VolunteerCoordinatorDbContext>("VolunteerCoordinator");
        builder.AddServiceMessaging<VolunteerCoordinatorDbContext>(bus => bus.AddConsumer<DonorSecuredConsumer>());
        builder.Services.Configure<OpenApiOptions>("v1", openApi => openApi.AddSchemaTransformer<OneOfValuesSchemaTransformer>());
        return builder;
    }

    public static WebApplication MapVolunteerCoordinatorEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapVolunteersEndpoints();
        app.MapThankYouCallsEndpoints();
        return app;
    }
}
