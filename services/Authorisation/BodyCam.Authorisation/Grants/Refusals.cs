using BodyCam.ServiceDefaults.Problems;
using BodyCam.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BodyCam.Authorisation.Grants;

/// <summary>A decision's refusal as the caller gets it; a refusal of the caller is on the access record first.</summary>
public static class Refusals
{
    public static async Task<Results<TAnswer, ValidationProblem, ProblemHttpResult>> AnswerAsync<TAnswer>(
        this Refusal refusal, HttpContext http, AccessRefusals refusals, CancellationToken cancellationToken)
        where TAnswer : IResult
    {
        switch (refusal)
        {
            case Refusal.Invalid invalid:
                return Problem.Invalid(invalid.Field, invalid.Detail);
            case Refusal.NotFound:
                return Problem.NotFound(refusal.Detail);
            case Refusal.Forbidden forbidden:
                await refusals.RecordAsync(http, forbidden.Record, cancellationToken);
                return Problem.Forbidden(forbidden.Detail);
            default:
                return Problem.Conflict(refusal.Detail);
        }
    }
}
