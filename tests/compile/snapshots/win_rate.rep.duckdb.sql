SELECT
  *
FROM (
  SELECT
    "t8"."__subject" AS "rep_id",
    "t4"."label" AS "period",
    CAST(COALESCE("t17"."m__deals_won", 0) AS DOUBLE) / NULLIF(CAST(COALESCE("t17"."m__deals_closed", 0) AS DOUBLE), 0) AS "win_rate"
  FROM (
    SELECT
      "t0"."rep_id" AS "__subject"
    FROM "reps" AS "t0"
  ) AS "t8"
  CROSS JOIN (
    SELECT
      "t1"."period" AS "__period"
    FROM "salescore_periods_3aad044200" AS "t1"
  ) AS "t9"
  LEFT OUTER JOIN (
    SELECT
      "t15"."__subject",
      "t15"."__period",
      MAX("t15"."m__deals_won") AS "m__deals_won",
      MAX("t15"."m__deals_closed") AS "m__deals_closed"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t13"."__subject",
          "t13"."__period",
          COUNT(*) FILTER(WHERE
            "t13"."status" = 'won') AS "m__deals_won",
          COUNT(*) FILTER(WHERE
            "t13"."status" IN ('won', 'lost')) AS "m__deals_closed"
        FROM (
          SELECT
            "t12"."opportunity_id",
            "t12"."customer_id",
            "t12"."owner_rep_id",
            "t12"."product",
            "t12"."channel",
            "t12"."created_at",
            "t12"."stage",
            "t12"."status",
            "t12"."amount",
            "t12"."currency",
            "t12"."expected_close_date",
            "t12"."closed_at",
            "t12"."lost_reason",
            "t12"."__day",
            "t12"."__period",
            "t12"."owner_rep_id" AS "__subject"
          FROM (
            SELECT
              "t11"."opportunity_id",
              "t11"."customer_id",
              "t11"."owner_rep_id",
              "t11"."product",
              "t11"."channel",
              "t11"."created_at",
              "t11"."stage",
              "t11"."status",
              "t11"."amount",
              "t11"."currency",
              "t11"."expected_close_date",
              "t11"."closed_at",
              "t11"."lost_reason",
              "t11"."__day",
              "t5"."period" AS "__period"
            FROM (
              SELECT
                "t2"."opportunity_id",
                "t2"."customer_id",
                "t2"."owner_rep_id",
                "t2"."product",
                "t2"."channel",
                "t2"."created_at",
                "t2"."stage",
                "t2"."status",
                "t2"."amount",
                "t2"."currency",
                "t2"."expected_close_date",
                "t2"."closed_at",
                "t2"."lost_reason",
                CASE
                  WHEN "t2"."closed_at" >= MAKE_TIMESTAMP(2025, 3, 30, 1, 0, 0.0)
                  THEN CAST("t2"."closed_at" + INTERVAL '7200' SECOND AS DATE)
                  ELSE CAST("t2"."closed_at" + INTERVAL '3600' SECOND AS DATE)
                END AS "__day"
              FROM "opportunities" AS "t2"
              WHERE
                "t2"."closed_at" >= MAKE_TIMESTAMP(2024, 12, 31, 23, 0, 0.0)
                AND "t2"."closed_at" < MAKE_TIMESTAMP(2025, 3, 31, 22, 0, 0.0)
            ) AS "t11"
            INNER JOIN "salescore_days_3007fae532" AS "t5"
              ON "t11"."__day" = "t5"."day"
          ) AS "t12"
        ) AS "t13"
        GROUP BY
          1,
          2
      ) AS "t14"
    ) AS "t15"
    GROUP BY
      1,
      2
  ) AS "t17"
    ON "t8"."__subject" = "t17"."__subject" AND "t9"."__period" = "t17"."__period"
  INNER JOIN "salescore_periods_3aad044200" AS "t4"
    ON "t9"."__period" = "t4"."period"
) AS "t18"
ORDER BY
  "t18"."rep_id" ASC,
  "t18"."period" ASC
