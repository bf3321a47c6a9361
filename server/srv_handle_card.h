/*
 * srv_handle_card.h - level 2 with the chip ID card (srv_handle_card.c):
 *
 *   GET  /account/card          a signed-in citizen gets a one-time binding code
 *   POST /v1/card/challenge     {"code"} -> an Active Authentication challenge for that code
 *   POST /v1/card/bind          {"code", "sod", "data_groups", "active_authentication"}
 *   GET|POST /login/card        chip-card sign-in: a one-time sign-in code, then "continue"
 *   GET  /login/card/status     {"status": "pending"|"approved"|"expired"} for the page's poll
 *   POST /v1/card/login         {"code", "sod", ...}: the card approves the sign-in
 *   GET  /static/card_login.js  the page's poll
 * docs/interfaces.md ("Level 2 with the chip card") describes the exchange.
 */
#ifndef SRV_HANDLE_CARD_H
#define SRV_HANDLE_CARD_H

#include "srv_app.h"

int srv_handle_account_card(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_card_challenge(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_card_bind(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_card_login_api(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_login_card(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_login_card_status(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);
int srv_handle_card_login_js(struct srv_app *app, const struct srv_req *req, struct srv_resp *resp);

#endif /* SRV_HANDLE_CARD_H */
